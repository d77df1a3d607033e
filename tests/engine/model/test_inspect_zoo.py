"""inspect on the zoo: custom classes and --custom-objects, notes that say only what is true, the file untouched."""

import hashlib
import sys

import numpy as np
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import load_dataset
from dropout_tui.engine.data.ood import load_ood
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.model.custom_objects import CustomObjectsError, missing_classes
from dropout_tui.engine.model.loading import ModelFileError, load_user_model, prepare_inspect
from dropout_tui.engine.run.preparation import prepare
from tests.support import zoo as zoo_module

pytestmark = [pytest.mark.training]


def _config(model_path, data_path, **options):
    return RunConfig(command="inspect", model_path=str(model_path), data_path=str(data_path), **options).validate()


def _inspect(zoo, name, **options):
    config = _config(*zoo.paths(name), **options)
    return prepare_inspect(config, load_dataset(config, require_train=False, scale_uint8=False))


def _sha256(path) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


MUST_AGREE = "every mode must agree"


def test_missing_custom_class_is_named_in_one_line(zoo):
    model_path, data_path = zoo.paths("always_on_dropout_model")
    with zoo_module.unregistered("AlwaysOnDropout"):
        assert missing_classes(model_path) == ["AlwaysOnDropout"]
        with pytest.raises(ModelFileError) as caught:
            prepare_inspect(_config(model_path, data_path), load_dataset(_config(model_path, data_path)))
    assert str(caught.value) == (
        f"--model {model_path}: needs the custom class 'AlwaysOnDropout'; pass --custom-objects FILE.py that defines it"
    )


def test_custom_objects_file_registers_the_class_and_predict_is_not_deterministic(zoo, tmp_path):
    model_path, data_path = zoo.paths("always_on_dropout_model")
    objects = zoo_module.write_custom_objects_file(tmp_path / "my_layers.py", ("AlwaysOnDropout", "FeatureJitter"))
    before = _sha256(model_path)
    with zoo_module.unregistered():
        config = _config(model_path, data_path, custom_objects=objects)
        target = prepare_inspect(config, load_dataset(config, require_train=False, scale_uint8=False))
        layer = target.model.get_layer("mc_dropout")
        assert type(layer).__module__.startswith("dropout_tui_custom_objects_")  # the user's class, not the zoo's
        assert target.extra["predict_deterministic"] is False
        assert target.notes[0] == (
            "predict() is NOT deterministic for this model: 'mc_dropout' (AlwaysOnDropout) forces training=True "
            "inside its call, so even `inference` mode is stochastic"
        )
        noise = load_user_model(zoo.paths("custom_noise_model")[0], unsafe=False, custom_objects=objects)
        assert type(noise.get_layer("jitter")).__name__ == "FeatureJitter"
    assert _sha256(model_path) == before


def test_a_file_that_does_not_register_the_class(zoo, tmp_path):
    model_path, _ = zoo.paths("always_on_dropout_model")
    objects = zoo_module.write_custom_objects_file(tmp_path / "other.py", ("FeatureJitter",))
    with zoo_module.unregistered(), pytest.raises(ModelFileError) as caught:
        load_user_model(model_path, unsafe=False, custom_objects=objects)
    assert f"needs the custom class 'AlwaysOnDropout', which --custom-objects {objects} does not register" in str(
        caught.value
    )


@pytest.mark.parametrize(
    "name, source, message",
    [
        ("absent.py", None, r"absent\.py: no such file$"),
        ("layers.txt", "x = 1\n", r"expected a Python \.py file, got '\.txt'$"),
        ("broken.py", "def f(:\n", r"broken\.py: syntax error on line 1: "),
        ("raises.py", "import nonexistent_module_xyz\n", r"raises\.py: importing it raised ModuleNotFoundError: "),
        ("exits.py", "import sys\nsys.exit(3)\n", r"exits\.py: importing it raised SystemExit: 3$"),
    ],
)
def test_bad_custom_objects_files_are_one_line(zoo, tmp_path, name, source, message):
    path = tmp_path / name
    if source is not None:
        path.write_text(source)
    modules = set(sys.modules)
    with pytest.raises(CustomObjectsError, match=message) as caught:
        load_user_model(zoo.paths("regressor")[0], unsafe=False, custom_objects=str(path))
    assert isinstance(caught.value, ConfigError) and "\n" not in str(caught.value)
    assert not {m for m in set(sys.modules) - modules if m.startswith("dropout_tui_custom_objects_")}


def test_custom_noise_layer_is_found_and_noted(zoo):
    target = _inspect(zoo, "custom_noise_model")
    assert any(
        note.startswith("custom layer 'jitter' (FeatureJitter) is random in training mode") for note in target.notes
    )
    assert not any(MUST_AGREE in note for note in target.notes)


def test_batchnorm_only_model_does_not_claim_every_mode_agrees(zoo):
    notes = _inspect(zoo, "mobilenet_like").notes
    assert not any(MUST_AGREE in note for note in notes)
    assert (
        "no dropout-like layers: `dropout_only` and `mc` must agree with inference; "
        "`training` differs through BatchNormalization (batch statistics)"
    ) in notes


def test_augmentation_only_model_notes(zoo):
    target = _inspect(zoo, "augmented_cnn")
    notes = target.notes
    assert not any(MUST_AGREE in note for note in notes)
    assert any("`training` differs through augmentation" in note for note in notes)
    assert any(
        note.startswith("3 augmentation layer(s) 'flip' (RandomFlip), 'translate' (RandomTranslation)")
        and "random in `training` mode only" in note
        for note in notes
    )
    assert not any("Dropout" in note for note in notes)  # not called dropout, not reported as baked training=True
    assert target.extra["baked_training"] == []
    assert target.augmentation == [
        {"name": "flip", "class": "RandomFlip"},
        {"name": "translate", "class": "RandomTranslation"},
        {"name": "contrast", "class": "RandomContrast"},
    ]


def test_model_without_anything_random_still_says_every_mode_agrees(tmp_path):
    from tests.support import inspect_models as models

    models.plain_model().save(tmp_path / "plain.keras")
    x, y = models.random_data((6,), 3)
    config = _config(tmp_path / "plain.keras", models.save_npz(tmp_path / "d.npz", x, y))
    notes = prepare_inspect(config, load_dataset(config, require_train=False, scale_uint8=False)).notes
    assert "no stochastic layers: every mode must agree with inference" in notes


def test_no_one_over_255_hint_for_token_ids(zoo):
    notes = _inspect(zoo, "embedding_classifier").notes
    assert not any("--input-scale" in note for note in notes)
    assert any(note.startswith("inputs are integer ids (the model's input goes into an Embedding)") for note in notes)


def test_recurrent_notes_name_the_layer_but_not_its_rates_which_plus_and_minus_change(zoo):
    notes = _inspect(zoo, "bidirectional_gru").notes
    assert (
        "recurrent dropout in 'bidirectional' (Bidirectional(GRU)): on in `training`, `dropout_only` and `mc`" in notes
    )


@pytest.mark.parametrize("name, fit", [("cnn_bn_spatial", True), ("augmented_cnn", False), ("regressor", False)])
def test_the_model_file_stays_byte_identical(zoo, name, fit):
    model_path, data_path = zoo.paths(name)
    before = _sha256(model_path)
    config = _config(model_path, data_path, ood="noise", fine_tune=1)
    prepared = prepare(config, load_dataset(config, require_train=True, scale_uint8=False))
    if fit:  # fine-tuning changes the model in memory only
        prepared.model.fit(prepared.x_train, prepared.y_train, epochs=1, verbose=0)
    assert _sha256(model_path) == before


def test_prepared_carries_head_augmentation_and_ood(zoo):
    model_path, data_path = zoo.paths("binary_sigmoid")
    config = _config(model_path, data_path, ood="noise")
    dataset = load_dataset(config, require_train=False, scale_uint8=False)
    prepared = prepare(config, dataset, load_ood(config, dataset, config.seed))
    assert (prepared.head.activation, prepared.classes) == ("sigmoid", 2)
    assert prepared.augmentation == [] and prepared.ood.source == "noise"
    assert prepared.ood.x.shape == prepared.x_test.shape and prepared.ood.x.dtype == prepared.x_test.dtype
    probs = prepared.head.probabilities_numpy(prepared.model.predict(prepared.x_test, verbose=0))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert any(note.startswith("OOD inputs: the 80 test inputs plus Gaussian noise") for note in prepared.notes)


@pytest.mark.subprocess
def test_a_bad_custom_objects_path_can_be_reported_before_tensorflow_loads(tmp_path):
    import subprocess

    script = (
        "import sys\n"
        "from dropout_tui.engine.model.custom_objects import CustomObjectsError, check_custom_objects_file\n"
        "try:\n"
        f"    check_custom_objects_file({str(tmp_path / 'absent.py')!r})\n"
        "except CustomObjectsError as error:\n"
        "    print(str(error).endswith('absent.py: no such file'), 'keras' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True", "False"], result.stderr[-500:]
