"""Building the engine from settings: playbooks, channels and responders, checked against each other."""

from __future__ import annotations

from playbooks.channels import build_channels
from playbooks.loader import PlaybookProblem, load_playbooks, playbook_paths, unresolved, waits_for
from playbooks.models import Playbook
from playbooks.responders import build_responders
from playbooks.runner import PlaybookEngine
from soc_core.config import Settings
from soc_core.state.db import StateStore


def build_engine(settings: Settings, state: StateStore) -> tuple[PlaybookEngine, list[PlaybookProblem]]:
    """The engine with every usable playbook; the others are returned as problems (never fatal).

    A playbook whose channels or responders are not configured is not loaded: the shipped
    library names the ids ``soc-mail``, ``soc-im`` and ``edge`` a site defines in its settings.
    """
    channels = build_channels(settings.playbooks.channels)
    responders = build_responders(settings.playbooks.responders)
    loaded, problems = load_playbooks(playbook_paths(settings))
    usable: list[Playbook] = []
    for playbook in loaded:
        missing = unresolved(playbook, channels=set(channels), responders=set(responders))
        if missing:
            needed = waits_for(playbook, channels=set(channels), responders=set(responders))
            problems.append(PlaybookProblem(playbook.path or playbook.id, 1, "; ".join(missing), needed))
        else:
            usable.append(playbook)
    engine = PlaybookEngine(
        state=state, settings=settings, playbooks=usable, channels=channels, responders=responders
    )
    return engine, problems
