"""The Submit / About tab: the method, the metrics, how to submit, and the upload form.

The form exists only where the host sets ``FLIP_UPLOAD_TOKEN``. An upload is unpacked and
ingested by :mod:`flip_store.ingest.archives` (token check, safe extraction, ``flip ingest``'s
validation) on a writable engine of its own; this module shows the outcome, or the one-line
reason it was refused, as HTML. Member names and report lines come from the archive and are
untrusted: they pass through :func:`leaderboard.escaping.inert_markdown`, inert as HTML and as
Markdown.
"""

from __future__ import annotations

import logging

import gradio as gr

from flip_core.errors import FlipError
from flip_store.ingest.archives import UploadReport, check_token, ingest_upload, upload_enabled
from leaderboard.escaping import inert_markdown
from leaderboard.tabs import ABOUT
from leaderboard.tabs.base import Tab

logger = logging.getLogger(__name__)

ABOUT_TEXT = """
## FLIP: small reward models by backward inference

FLIP (FLipped Inference for Prompt reconstruction; Wang et al., arXiv 2602.13551) scores a
response by asking a small model which instruction most plausibly produced it; the reward is
the word-level F1 between that inferred instruction and the real one. The judge baselines ask
the same model to rate (pointwise, 1-10), compare (pairwise, both orders) or pick (listwise,
shuffled) responses.

**Accuracy** is strict best-of-N: the chosen response must score strictly above every rejected
one (25% by chance on RewardBench 2's four candidates, 50% on LLMBar pairs); intervals are 95%
percentile bootstraps over items. Every score is recomputed from the raw model outputs when a
run is stored. Rows of kind *rule* need no model (chance and the length rules, computed from the
stored items); rows of kind *reported* are quoted from papers, never recomputed. The table is
sorted by the **Average** it shows: the plain mean over the shown domains (a row without every
shown domain has none).

**FLIP gain** is a FLIP-family method's Average relative to the best judge of the same model,
decoding profile and backend over the shown domains; *Gain p* is an exact McNemar test on the
items both scored (paired: the same items are judged by both methods). **Finished** is the
share of generative calls that ended by themselves rather than at the token limit; **tokens /
item** are counted with the model's tokenizer (empty when unknown); the length columns read
accuracy where a length rule is wrong and after controlling for length.

### Submit a model

On your own GPU, one command runs the tasks, stores the raw output and ingests it:

    flip eval --model Qwen/Qwen3-1.7B --benchmark rb2   # FLIP and the three judges

or straight through lm-evaluation-harness (`flip paths` prints the task folder):

    lm_eval --model hf --model_args pretrained=Qwen/Qwen3-1.7B,enable_thinking=False \\
      --batch_size 16 --tasks flip_rb2 --include_path <task folder> --apply_chat_template \\
      --log_samples --output_path results/raw
    flip ingest results/raw

Every score is recomputed from the raw outputs when a run is stored; the numbers in the
results file are never trusted.
"""
UPLOAD_HELP = """
### Upload a run

Zip the lm-eval `--output_path` folder (its `results_*.json` and `samples_*.jsonl`) and upload
it with the host's upload token. It is validated and ingested exactly like `flip ingest`.
"""
OUTCOME_TITLES = {
    "stored": "Stored",
    "unchanged": "Already stored (unchanged)",
    "skipped": "Skipped (not flip-reward-bench tasks)",
    "rejected": "Rejected",
}


def _message(text: str) -> str:
    return f'<div class="flip-upload"><p>{inert_markdown(text)}</p></div>'


def render_report(report: UploadReport) -> str:
    """The report as an HTML fragment (for ``gr.HTML``); every string in it is escaped."""
    heading = (
        f"{report.archive_name}: {report.files} files, "
        f"{report.uncompressed_bytes / 1e6:.1f} MB unpacked. {report.summary}."
    )
    parts = ['<div class="flip-upload">', f"<p><strong>{inert_markdown(heading)}</strong></p>"]
    for outcome, title in OUTCOME_TITLES.items():
        lines = getattr(report, outcome)
        if lines:
            items = "".join(f"<li>{inert_markdown(line)}</li>" for line in lines)
            parts.append(f"<p>{inert_markdown(title)} ({len(lines)}):</p><ul>{items}</ul>")
    parts.append("</div>")
    return "".join(parts)


def handle_upload(file_path: str | None, token: str | None, db_url: str | None) -> str:
    """For the upload button: never raises; an HTML fragment for ``gr.HTML``."""
    try:
        if not upload_enabled():
            check_token(token)  # raises the "disabled" message
        if not file_path:
            return _message("Choose a .zip of an lm-eval output folder first.")
        return render_report(ingest_upload(file_path, token, db_url))
    except FlipError as error:
        first = (str(error).splitlines() or [type(error).__name__])[0]
        return _message(f"Upload refused: {first}")
    except Exception:
        logger.exception("upload of %r failed", file_path)
        return _message(
            "The upload failed because of an internal error (logged on the server). "
            "Runs reported before the failure may have been stored; upload again to see."
        )


class AboutTab(Tab):
    spec = ABOUT

    def __init__(self, upload_db_url: str | None) -> None:
        self.upload_db_url = upload_db_url

    def build(self) -> None:
        gr.Markdown(ABOUT_TEXT)
        if not upload_enabled():
            return
        gr.Markdown(UPLOAD_HELP)
        with gr.Row():
            archive = gr.File(label="lm-eval output (.zip)", file_types=[".zip"])
            token = gr.Textbox(label="Upload token", type="password", max_lines=1)
        button = gr.Button("Validate and ingest")
        result = gr.HTML()
        button.click(
            lambda path, secret: handle_upload(path, secret, self.upload_db_url),
            [archive, token],
            result,
        )
