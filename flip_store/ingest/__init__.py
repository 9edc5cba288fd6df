"""Getting results into the store: lm-eval output folders (``runs``), ``flip rerank`` output
(``reranks``) and uploaded archives (``archives``), each validated and re-scored before one
transaction per run writes it."""

from flip_store.ingest.runs import IngestReport, ingest_files, ingest_path

__all__ = ["IngestReport", "ingest_files", "ingest_path"]
