"""One sample's labels as database updates: whole field, in-place label patches, or video frames.

Each image sample gets exactly one single-document update, so an interrupted
run leaves it either fully labeled or untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from bson import ObjectId
from pymongo import UpdateMany, UpdateOne


@dataclass
class Update:
    """What to write for one sample.

    Exactly one of:

    - ``value``: the whole label-field document (``$set`` of the field);
    - ``patches``: ``{label_id: {attr: value}}`` set on existing labels of a
      ``Detections`` field, leaving every other label and attribute alone;
    - ``frames``: ``{frame_number: Detections document}`` for a video.

    ``count`` is the number of labels written.
    """

    sample_id: str
    value: dict | None = None
    patches: dict[str, dict] | None = None
    frames: dict[int, dict] | None = None
    clear_other_frames: bool = False
    count: int = 0
    notes: list[str] = field(default_factory=list)
    filepath: str = ""
    size: int = 0  # encoded bytes, set by the output stage

    def label_docs(self) -> list[dict]:
        """The label documents whose ``mask`` may move to a file (patches: their attrs).

        Returns:
            the documents of ``value`` or ``frames`` (the same objects), or for
            ``patches`` new dicts of each label's attrs with its ``_id``.
        """
        if self.value is not None:
            return list(self.value.get("detections", []))
        if self.patches is not None:
            return [dict(attrs, _id=ObjectId(lid)) for lid, attrs in self.patches.items()]
        return [d for doc in (self.frames or {}).values() for d in doc.get("detections", [])]


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def sample_op(update: Update, field_name: str) -> UpdateOne:
    """The single-document update of an image sample.

    Args:
        update: the sample's ``Update`` (``value`` or ``patches``).
        field_name: the label field in the sample document.

    Returns:
        an ``UpdateOne`` that also sets ``last_modified_at``.
    """
    now = _now()
    sid = ObjectId(update.sample_id)
    if update.value is not None:
        return UpdateOne({"_id": sid}, {"$set": {field_name: update.value, "last_modified_at": now}})
    sets, filters = {"last_modified_at": now}, []
    for i, (label_id, attrs) in enumerate(update.patches.items()):
        filters.append({f"l{i}._id": ObjectId(label_id)})
        for attr, value in attrs.items():
            sets[f"{field_name}.detections.$[l{i}].{attr}"] = value
    return UpdateOne({"_id": sid}, {"$set": sets}, array_filters=filters or None)


def frame_ops(update: Update, field_name: str, dataset_id) -> list:
    """Upserts of a video's frame documents (FiftyOne's frame layout).

    Args:
        update: the video's ``Update`` (``frames``).
        field_name: the label field in the frame documents.
        dataset_id: the dataset's id, set on new frame documents.

    Returns:
        one ``UpdateOne`` per frame, plus an ``UpdateMany`` clearing the
        field on the other frames when ``clear_other_frames``.
    """
    now, sid = _now(), ObjectId(update.sample_id)
    ops = [
        UpdateOne(
            {"_sample_id": sid, "frame_number": fn},
            {"$set": {field_name: doc, "last_modified_at": now},
             "$setOnInsert": {"_dataset_id": dataset_id, "created_at": now}},
            upsert=True,
        )
        for fn, doc in update.frames.items()
    ]
    if update.clear_other_frames:  # frames no pass reached keep no stale labels
        ops.append(UpdateMany(
            {"_sample_id": sid, "frame_number": {"$nin": list(update.frames)}, field_name: {"$ne": None}},
            {"$set": {field_name: None, "last_modified_at": now}},
        ))
    return ops
