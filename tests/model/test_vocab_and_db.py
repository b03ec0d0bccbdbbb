import gzip

from fo_sam3.model.vocab import find_vocab


def test_vocab_found_offline():
    path = find_vocab(download=False)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        first = f.readline()
    assert "bpe" in first.lower() or first.strip()


def test_fiftyone_embedded_db_round_trips_a_sample(dataset):
    import fiftyone as fo

    sample = dataset.first()
    sample["gt"] = fo.Detections(detections=[fo.Detection(label="cat", bounding_box=[0.1, 0.2, 0.3, 0.4])])
    sample.save()
    reloaded = fo.load_dataset(dataset.name).first()
    assert reloaded.gt.detections[0].label == "cat"
    assert reloaded.gt.detections[0].bounding_box == [0.1, 0.2, 0.3, 0.4]
