"""Text features, computed once per distinct prompt and cached across batches."""

from __future__ import annotations

from collections import OrderedDict

import torch


class TextCache:
    """LRU cache of sam3 text-encoder outputs, keyed by prompt text.

    ``features(texts)`` returns the dict that sam3's ``forward_text`` returns
    for ``texts`` (``language_features``/``language_embeds``: seq x T x C,
    ``language_mask``: T x seq), encoding only texts not seen before.

    Args:
        model: a ``Sam3Image``.
        max_items: the most texts kept (least recently used go first).
    """

    def __init__(self, model, max_items: int = 1024):
        self.model = model
        self.max_items = max_items
        self._cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = OrderedDict()
        self.encoded = 0  # texts sent through the encoder (for tests and stats)

    def features(self, texts: list[str], device) -> dict[str, torch.Tensor]:
        """The text features of ``texts``, in order (repeats allowed).

        Args:
            texts: the prompt texts.
            device: where the text encoder runs.

        Returns:
            ``language_features``, ``language_mask`` and ``language_embeds``
            stacked over ``texts``.
        """
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            out = self.model.backbone.forward_text(missing, device=device)
            self.encoded += len(missing)
            for i, t in enumerate(missing):
                self._cache[t] = (
                    out["language_features"][:, i],
                    out["language_mask"][i],
                    out["language_embeds"][:, i],
                )
        entries = []
        for t in texts:
            self._cache.move_to_end(t)
            entries.append(self._cache[t])
        while len(self._cache) > self.max_items:
            self._cache.popitem(last=False)
        feats, masks, embeds = zip(*entries)
        return {
            "language_features": torch.stack(feats, dim=1),
            "language_mask": torch.stack(masks, dim=0),
            "language_embeds": torch.stack(embeds, dim=1),
        }
