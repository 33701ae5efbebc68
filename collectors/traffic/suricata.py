"""An optional Suricata sensor: its configuration, a rule check, a supervised process, offline runs.

Shaowang does not read packets for Suricata: it writes a small ``suricata.yaml`` of its own
into a working folder, starts ``suricata`` on a mirror interface (or over a capture file),
restarts it when it dies and reports its state. Suricata writes EVE JSON to
``<workdir>/eve.json``; the platform's file tailer reads that file as ``suricata.eve``.

The shipped rule pack is ``rules/suricata/shaowang-extranet.rules`` (our own rules, sids
9100001–9109999). Suricata 7 from bookworm-backports is the supported engine.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules" / "suricata" / "shaowang-extranet.rules"
STOCK_CONFIG_DIR = Path("/etc/suricata")
MISSING_BINARY = (
    "suricata not found; install it from bookworm-backports: apt-get install -t bookworm-backports suricata"
)
DEFAULT_HOME_NET = "[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,192.0.2.0/24,198.51.100.0/24,203.0.113.0/24]"

CONFIG_NAME = "suricata.yaml"
EVE_NAME = "eve.json"
ENGINE_LOG_NAME = "suricata.log"  # Suricata's own log (logging.outputs.file)
CONSOLE_LOG_NAME = "suricata-console.log"  # the process's stdout and stderr
PID_NAME = "suricata.pid"

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
# A process that lived this long was healthy: its next crash starts the backoff afresh.
STABLE_AFTER_S = 60.0
CHECK_TIMEOUT_S = 120.0
OFFLINE_TIMEOUT_S = 300.0
ERROR_LINES_KEPT = 5

# Used only when /etc/suricata has none: the classtypes the shipped pack uses, as the stock
# classification.config defines them.
_FALLBACK_CLASSIFICATION = """\
config classification: bad-unknown,Potentially Bad Traffic, 2
config classification: attempted-recon,Attempted Information Leak,2
config classification: attempted-admin,Attempted Administrator Privilege Gain,1
config classification: trojan-activity,A Network Trojan was detected, 1
config classification: network-scan,Detection of a Network Scan,3
config classification: web-application-attack,Web Application Attack,1
config classification: policy-violation,Potential Corporate Privacy Violation,1
config classification: command-and-control,Malware Command and Control Activity Detected,1
"""
_FALLBACK_REFERENCE = """\
config reference: cve       http://cve.mitre.org/cgi-bin/cvename.cgi?name=
config reference: url       http://
"""

# Suricata 7 console lines start with the level ("Error: detect: ..."); file lines carry a
# "[pid - thread] time" prefix first.
_ERROR_LINE = re.compile(r"(?:^|\] \S+ \S+ )(?:Error|Critical|Alert|Emergency|[ECA]):\s", re.ASCII)
_RULES_LOADED = re.compile(r"(\d+) rules successfully loaded, (\d+) rules failed", re.ASCII)


class SensorError(RuntimeError):
    """Suricata could not be run, or its run failed (the message says why)."""


@dataclass(kw_only=True)
class SensorConfig:
    """What the sensor captures, with which rules, and where it writes."""

    workdir: Path
    binary: str = "suricata"
    interface: str | None = None
    pcap: Path | None = None
    rules: list[Path] = field(default_factory=lambda: [SHIPPED_RULES])
    bpf: str | None = None
    home_net: str = DEFAULT_HOME_NET
    # On the e-government extranet attackers are other units' hosts, in the same private
    # space as HOME_NET: "external" is everyone.
    external_net: str = "any"
    extra_args: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RuleReport:
    """The outcome of ``suricata -T``: problems (error lines) and the rule counts it printed."""

    problems: list[str]
    loaded: int | None
    failed: int | None


# -- configuration ---------------------------------------------------------------------------------


def _q(value: str | Path) -> str:
    """A YAML double-quoted scalar (JSON string escapes are valid YAML ones)."""
    return json.dumps(str(value), ensure_ascii=False)


def _support_file(workdir: Path, name: str, fallback: str) -> Path:
    stock = STOCK_CONFIG_DIR / name
    if stock.is_file():
        return stock
    own = workdir / name
    own.write_text(fallback, encoding="utf-8")
    return own


def write_config(config: SensorConfig) -> Path:
    """Write ``<workdir>/suricata.yaml`` for ``config`` and return its path."""
    workdir = config.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    classification = _support_file(workdir, "classification.config", _FALLBACK_CLASSIFICATION)
    reference = _support_file(workdir, "reference.config", _FALLBACK_REFERENCE)
    # An empty threshold file of our own: the stock one may carry suppressions meant for others.
    threshold = workdir / "threshold.config"
    if not threshold.exists():
        threshold.write_text("", encoding="utf-8")
    rule_files = "\n".join(f"  - {_q(Path(p).resolve())}" for p in config.rules) or "  []"
    text = f"""\
%YAML 1.1
---
# Written by Shaowang for its Suricata sensor; rewritten on every start, edits are lost.
suricata-version: "7.0"

vars:
  address-groups:
    HOME_NET: {_q(config.home_net)}
    EXTERNAL_NET: {_q(config.external_net)}
    HTTP_SERVERS: "$HOME_NET"
    SMTP_SERVERS: "$HOME_NET"
    SQL_SERVERS: "$HOME_NET"
    DNS_SERVERS: "$HOME_NET"
    TELNET_SERVERS: "$HOME_NET"
    DC_SERVERS: "$HOME_NET"
  port-groups:
    HTTP_PORTS: "[80,81,443,7001,7002,8000,8080,8081,8088,8443,8888,9080,9090]"
    SHELLCODE_PORTS: "!80"
    ORACLE_PORTS: "1521"
    SSH_PORTS: "22"
    TELNET_PORTS: "[23,2323]"
    SMB_PORTS: "[139,445]"
    DNS_PORTS: "53"
    FILE_DATA_PORTS: "[$HTTP_PORTS,110,143]"
    FTP_PORTS: "21"

default-log-dir: {_q(workdir)}
pid-file: {_q(workdir / PID_NAME)}
# run-as is left out: the sensor runs as the user that starts it (capture needs
# CAP_NET_RAW; grant it to the binary rather than running the platform as root).

classification-file: {_q(classification)}
reference-config-file: {_q(reference)}
threshold-file: {_q(threshold)}
rule-files:
{rule_files}

stats:
  enabled: yes
  interval: 10

outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: {EVE_NAME}
      types:
        - alert:
            payload-printable: yes
            metadata: yes
            http-body-printable: no
        - http:
            extended: yes
        - dns
        - tls:
            extended: yes
        - flow
        - anomaly
        - stats:
            totals: yes
            threads: no

logging:
  default-log-level: notice
  outputs:
    - console:
        enabled: yes
    - file:
        enabled: yes
        level: info
        filename: {_q(workdir / ENGINE_LOG_NAME)}

# The platform supervises the process; nothing needs the control socket.
unix-command:
  enabled: no

app-layer:
  protocols:
    http:
      enabled: yes
    tls:
      enabled: yes
      detection-ports:
        dp: 443
    dns:
      tcp:
        enabled: yes
        detection-ports:
          dp: 53
      udp:
        enabled: yes
        detection-ports:
          dp: 53
    smb:
      enabled: yes
      detection-ports:
        dp: 139, 445
    ssh:
      enabled: yes
    ftp:
      enabled: yes
    smtp:
      enabled: yes
    quic:
      enabled: yes

# Mirror ports deliver packets whose checksums the sender's NIC never filled in
# (checksum offload), so no checksum is checked anywhere.
stream:
  memcap: 64mb
  checksum-validation: no
  inline: auto
  reassembly:
    memcap: 256mb
    depth: 1mb
    toserver-chunk-size: 2560
    toclient-chunk-size: 2560
    randomize-chunk-size: yes
pcap-file:
  checksum-checks: no
af-packet:
  - interface: default
    cluster-id: 99
    cluster-type: cluster_flow
    defrag: yes
    use-mmap: yes
    tpacket-v3: yes
    checksum-checks: no
pcap:
  - interface: default
    checksum-checks: no
"""
    path = workdir / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    return path


# -- rule check ------------------------------------------------------------------------------------


def _error_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if _ERROR_LINE.search(line)]


def verify_rules(config: SensorConfig) -> RuleReport:
    """Run ``suricata -T`` (configuration test, rules loaded) and report what it found."""
    binary = shutil.which(config.binary)
    if binary is None:
        return RuleReport([MISSING_BINARY], None, None)
    missing = [f"rule file {p} does not exist" for p in config.rules if not Path(p).is_file()]
    if missing:
        return RuleReport(missing, None, None)
    path = write_config(config)
    workdir = config.workdir.resolve()
    args = [binary, "-T", "-v", "-c", str(path), "-l", str(workdir)]
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, errors="replace", timeout=CHECK_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return RuleReport([f"suricata -T did not finish within {CHECK_TIMEOUT_S:.0f} s"], None, None)
    except OSError as exc:
        return RuleReport([f"suricata could not be run: {exc}"], None, None)
    output = done.stdout + done.stderr
    problems = _error_lines(output)
    if done.returncode != 0 and not problems:
        tail = " | ".join(output.strip().splitlines()[-3:])
        problems = [f"suricata -T exited with code {done.returncode}: {tail}"]
    counts = _RULES_LOADED.search(output)
    loaded, failed = (int(counts[1]), int(counts[2])) if counts else (None, None)
    return RuleReport(problems, loaded, failed)


def check_rules(config: SensorConfig) -> list[str]:
    """The problems ``suricata -T`` finds with the configuration and rules; empty when fine."""
    return verify_rules(config).problems


# -- offline runs ----------------------------------------------------------------------------------


def _tail(path: Path, lines: int, start: int = 0) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def run_offline(config: SensorConfig, pcap: Path, *, timeout_s: float = OFFLINE_TIMEOUT_S) -> Path:
    """Run Suricata over ``pcap`` to completion and return the EVE file it wrote.

    The EVE file of an earlier run in the same working folder is removed first, so give an
    offline run a folder of its own (not the live sensor's).
    """
    binary = shutil.which(config.binary)
    if binary is None:
        raise SensorError(MISSING_BINARY)
    if not Path(pcap).is_file():
        raise SensorError(f"capture file {pcap} does not exist")
    path = write_config(config)
    workdir = config.workdir.resolve()
    eve = workdir / EVE_NAME
    eve.unlink(missing_ok=True)
    engine_log = workdir / ENGINE_LOG_NAME
    start = engine_log.stat().st_size if engine_log.exists() else 0
    args = [binary, "-c", str(path), "-l", str(workdir), "-k", "none", "-r", str(Path(pcap).resolve())]
    args += config.extra_args
    if config.bpf:
        args.append(config.bpf)
    with (workdir / CONSOLE_LOG_NAME).open("ab") as console:
        try:
            done = subprocess.run(
                args, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT, timeout=timeout_s
            )
        except subprocess.TimeoutExpired as exc:
            raise SensorError(
                f"suricata did not finish {pcap} within {timeout_s:.0f} s; suricata.log ends with:\n"
                + "\n".join(_tail(engine_log, 10, start))
            ) from exc
    if done.returncode != 0 or not eve.exists():
        raise SensorError(
            f"suricata exited with code {done.returncode} on {pcap}; suricata.log ends with:\n"
            + "\n".join(_tail(engine_log, 10, start) or _tail(workdir / CONSOLE_LOG_NAME, 10))
        )
    # An unreadable capture is logged and skipped, and Suricata still exits with 0.
    errors = _error_lines("\n".join(_tail(engine_log, 1000, start)))
    if errors:
        raise SensorError(f"suricata reported errors on {pcap}:\n" + "\n".join(errors[-ERROR_LINES_KEPT:]))
    return eve


# -- supervised sensor -----------------------------------------------------------------------------


class SuricataSensor:
    """One supervised Suricata process on an interface (or a capture file, for tests).

    Call ``watch()`` periodically: it restarts a live sensor that died, waiting 1 s, then
    2 s, 4 s … up to 60 s between attempts. A capture-file run that ends is finished, not
    crashed, and is never restarted.
    """

    def __init__(self, config: SensorConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._process: subprocess.Popen[bytes] | None = None
        self._wanted = False
        self._state = "stopped"  # when not running: stopped or failed
        self._restarts = 0
        self._backoff_s = BACKOFF_FIRST_S
        self._next_attempt = 0.0
        self._started_at = 0.0
        self._log_offset = 0
        self._console_offset = 0
        self.last_exit_code: int | None = None
        self.last_error: str | None = None

    # -- properties

    @property
    def workdir(self) -> Path:
        return self.config.workdir.resolve()

    @property
    def eve_path(self) -> Path:
        return self.workdir / EVE_NAME

    @property
    def running(self) -> bool:
        return self._reap() is None and self._process is not None

    @property
    def restart_count(self) -> int:
        return self._restarts

    @property
    def mode(self) -> str | None:
        if self.config.interface:
            return "interface"
        if self.config.pcap is not None:
            return "pcap"
        return None

    # -- control

    def start(self) -> bool:
        """Start Suricata (no-op when it runs); False when it could not be started (see status)."""
        if self.running:
            return True
        self._wanted = True
        self._backoff_s = BACKOFF_FIRST_S
        return self._launch()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop Suricata: SIGTERM, then SIGKILL after ``timeout_s``."""
        self._reap()  # a capture run that already ended keeps its verdict
        self._wanted = False
        process = self._process
        if process is None:
            if self.mode != "pcap":
                self._state = "stopped"
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                process.wait()
        self._process = None
        self._record_exit(process.returncode)
        self._state = "stopped"

    def reopen_logs(self) -> bool:
        """Ask Suricata to reopen eve.json and its log (SIGHUP), after they were rotated away."""
        process = self._process
        if process is None or process.poll() is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGHUP)
        return True

    def wait(self, timeout_s: float | None = None) -> int | None:
        """Wait for the process to end (a capture-file run finishes by itself); its exit code,
        or None when it is still running after ``timeout_s`` (or none was started)."""
        process = self._process
        if process is None:
            return self.last_exit_code
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None
        self._reap()
        return self.last_exit_code

    def watch(self) -> None:
        """Notice an exit and restart a live sensor that should be running (with backoff)."""
        self._reap()
        if not self._wanted or self._process is not None:
            return
        if self._clock() >= self._next_attempt:
            self._restarts += 1
            self._launch()

    def status(self) -> dict[str, Any]:
        """State (running/stopped/failed/disabled), pid, restarts, EVE path and size, last error."""
        running = self.running
        if self.mode is None:
            state = "disabled"
        elif running:
            state = "running"
        else:
            state = self._state
        try:
            eve_size = self.eve_path.stat().st_size
        except OSError:
            eve_size = 0
        return {
            "state": state,
            "mode": self.mode,
            "pid": self._process.pid if running and self._process is not None else None,
            "restarts": self._restarts,
            "eve_path": str(self.eve_path),
            "eve_size": eve_size,
            "last_exit_code": self.last_exit_code,
            "last_error": self.last_error,
        }

    # -- internals

    def _command(self, binary: str, config_path: Path) -> list[str]:
        workdir = self.workdir
        args = [binary, "-c", str(config_path), "-l", str(workdir), "--pidfile", str(workdir / PID_NAME)]
        if self.config.interface:
            args += ["-i", self.config.interface]
        elif self.config.pcap is not None:
            args += ["-k", "none", "-r", str(Path(self.config.pcap).resolve())]
        args += self.config.extra_args
        if self.config.bpf:
            args.append(self.config.bpf)
        return args

    def _launch(self) -> bool:
        if self.mode is None:
            self._wanted = False
            self.last_error = "neither an interface nor a capture file is configured"
            return False
        binary = shutil.which(self.config.binary)
        if binary is None:
            self._failed_to_start(MISSING_BINARY)
            return False
        try:
            config_path = write_config(self.config)
        except OSError as exc:
            self._failed_to_start(f"cannot write the Suricata configuration: {exc}")
            return False
        workdir = self.workdir
        # We own the only process that may write this pid file; one left by a crash would stop
        # Suricata from starting.
        (workdir / PID_NAME).unlink(missing_ok=True)
        engine_log, console_log = workdir / ENGINE_LOG_NAME, workdir / CONSOLE_LOG_NAME
        self._log_offset = engine_log.stat().st_size if engine_log.exists() else 0
        self._console_offset = console_log.stat().st_size if console_log.exists() else 0
        try:
            with console_log.open("ab") as console:
                self._process = subprocess.Popen(
                    self._command(binary, config_path),
                    stdin=subprocess.DEVNULL,
                    stdout=console,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a Ctrl-C meant for the platform is not Suricata's
                )
        except OSError as exc:
            self._failed_to_start(f"suricata could not be started: {exc}")
            return False
        self._started_at = self._clock()
        self._state = "running"
        return True

    def _failed_to_start(self, reason: str) -> None:
        self.last_error = reason
        self._state = "failed"
        self._schedule_retry()

    def _schedule_retry(self) -> None:
        self._next_attempt = self._clock() + self._backoff_s
        self._backoff_s = min(self._backoff_s * 2, BACKOFF_MAX_S)

    def _reap(self) -> int | None:
        """The exit code when the process has just ended (recorded once), else None."""
        process = self._process
        if process is None:
            return None
        code = process.poll()
        if code is None:
            return None
        self._process = None
        errors = self._record_exit(code)
        if not self._wanted:
            return code
        if self.mode == "pcap":
            # the capture is read to its end: done (or failed), never re-read; an unreadable
            # capture is an error in the log with exit code 0
            self._wanted = False
            self._state = "stopped" if code == 0 and not errors else "failed"
        else:
            self._state = "failed"
            if self._clock() - self._started_at >= STABLE_AFTER_S:
                self._backoff_s = BACKOFF_FIRST_S
            self._schedule_retry()
        return code

    def _record_exit(self, code: int | None) -> list[str]:
        """Keep the exit code and this run's error lines (returned)."""
        self.last_exit_code = code
        errors = _error_lines("\n".join(_tail(self.workdir / ENGINE_LOG_NAME, 200, self._log_offset)))
        if not errors:
            errors = _error_lines(
                "\n".join(_tail(self.workdir / CONSOLE_LOG_NAME, 200, self._console_offset))
            )
        if errors:
            self.last_error = "\n".join(errors[-ERROR_LINES_KEPT:])
        elif code not in (None, 0) and self._wanted:
            self.last_error = f"suricata exited with code {code}"
        return errors
