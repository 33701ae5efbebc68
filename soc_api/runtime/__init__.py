"""The running platform: the pipeline that joins intake, parsing, detection and storage."""
