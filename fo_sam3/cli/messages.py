"""Library messages in CLI words: ``--overwrite``, not ``overwrite=True``.

The library keeps Python names; the CLI translates the phrases it knows at its boundary.
"""

from __future__ import annotations

import re

# Library wording -> CLI wording, for the messages users see on stderr (in order).
CLI_WORDS = (
    ("checkpoint='/path/to/sam3.pt'", "--checkpoint /path/to/sam3.pt"),
    ("checkpoint='random'", "--checkpoint random"),
    ("device='cpu', 'cuda' or 'cuda:N'", "--device cpu, cuda or cuda:N"),
    ("device='cpu'", "--device cpu"),
    ("leave device unset", "leave out --device"),
    ("overwrite=True", "--overwrite"),
    ("skip_existing=True", "--skip-existing"),
    ("keep text_hint=True", "leave out --no-text-hint"),
    ("fo_sam3.track", "fo-sam3 track"),
    ("fo_sam3.segment", "fo-sam3 label"),
    ("(mode='instance')", "(fo-sam3 instances)"),
    ("box_field=/point_field=", "--box-field/--point-field"),
    ("text=[...]", "--text"),
    ("text=...", "--text"),
    ("text_field=...", "--text-field"),
    ("box_field=...", "--box-field"),
    ("point_field=...", "--point-field"),
)
CLI_FLAGS = {"confidence": "--confidence", "batch_size": "--batch-size", "num_workers": "--workers",
             "nms_iou": "--nms-iou", "topk_per_query": "--topk"}
_FLAG_RE = re.compile(r"(?<![\w-])(" + "|".join(CLI_FLAGS) + r")(?= must)")


def cli_message(text: str) -> str:
    """A library message in CLI terms: ``--overwrite``, not ``overwrite=True``.

    Args:
        text: the library's message

    Returns:
        the message in CLI words
    """
    for python, cli in CLI_WORDS:
        text = text.replace(python, cli)
    return _FLAG_RE.sub(lambda m: CLI_FLAGS[m.group(1)], text)
