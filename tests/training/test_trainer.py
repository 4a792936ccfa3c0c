import numpy as np
import pytest

import zennet as zn
from zennet import nn
from zennet.io import load_checkpoint
from zennet.training import ModelCheckpoint, Trainer


@pytest.fixture(scope="module")
def digits():
    return zn.datasets.load_digits()


def small_model(seed=0):
    zn.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 10))


def fit(model, digits, **kwargs):
    (x, y), _ = digits
    trainer = Trainer(
        model, zn.optim.Adam(model.parameters(), lr=3e-3), "cross_entropy", ["accuracy"]
    )
    kwargs = {"epochs": 3, "batch_size": 64, "verbose": 0, "seed": 1, **kwargs}
    return trainer, trainer.fit(x, y, **kwargs)


def test_fit_returns_a_keras_history_and_learns(digits):
    trainer, history = fit(small_model(), digits, epochs=5, validation_split=0.2)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 5 for v in history.history.values())
    assert history.epoch == [0, 1, 2, 3, 4]
    assert history.history["loss"][-1] < history.history["loss"][0]
    _, (x_test, y_test) = digits
    logs = trainer.evaluate(x_test, y_test)
    assert set(logs) == {"loss", "accuracy"} and logs["accuracy"] > 0.85
    scores = trainer.predict(x_test)
    assert scores.shape == (len(x_test), 10) and scores.dtype == np.float32


def test_fit_takes_a_dataloader_and_sets_modes(digits):
    (x, y), _ = digits
    model = small_model()
    seen = []
    model.register_forward_hook(lambda module, inputs, output: seen.append(module.training))
    loader = zn.data.DataLoader(zn.data.TensorDataset(x, y), batch_size=128, shuffle=True, seed=0)
    trainer = Trainer(model, "adam", "cross_entropy", ["accuracy"])
    trainer.fit(loader, epochs=1, validation_data=loader, verbose=0)
    assert True in seen and False in seen  # train batches, then eval for validation
    assert not model.training  # validation left it in eval mode


def test_same_seed_gives_the_same_history_twice(digits):
    _, first = fit(small_model(), digits, validation_split=0.2)
    _, second = fit(small_model(), digits, validation_split=0.2)
    assert first.history == second.history


def test_another_seed_gives_another_history(digits):
    _, first = fit(small_model(), digits)
    _, second = fit(small_model(), digits, seed=2)
    assert first.history["loss"] != second.history["loss"]


def test_resuming_at_epoch_3_of_6_ends_with_the_same_weights(digits, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    whole, _ = fit(small_model(), digits, epochs=6)

    first, _ = fit(small_model(), digits, epochs=3, callbacks=[ModelCheckpoint(path)])
    zn.manual_seed(123)  # the checkpoint must restore the generator, whatever happened since
    model = small_model(seed=7)  # other initial weights: the checkpoint replaces them
    resumed = Trainer(
        model, zn.optim.Adam(model.parameters(), lr=3e-3), "cross_entropy", ["accuracy"]
    )
    (x, y), _ = digits
    history = resumed.fit(x, y, epochs=6, batch_size=64, verbose=0, resume_from=path)
    assert history.epoch == list(range(6))
    for key, value in whole.model.state_dict().items():
        np.testing.assert_array_equal(resumed.model.state_dict()[key], value, err_msg=key)
    assert history.history == whole.history.history


def test_terminate_on_nan_stops_before_the_bad_update(digits):
    model = small_model()
    (x, y), _ = digits
    x = x.copy()
    x[300] = np.nan  # one poisoned sample: the loss of its batch is NaN
    trainer = Trainer(model, "sgd", "cross_entropy", [])
    before = None

    class Snapshot(zn.training.Callback):
        def on_batch_begin(self, batch, logs=None):
            nonlocal before
            before = self.trainer.model.state_dict()

    trainer.fit(x, y, epochs=2, batch_size=100, shuffle=False, verbose=0, callbacks=[Snapshot()])
    assert "epoch 1, batch 4" in trainer.stop_reason
    assert trainer.history.epoch == []  # the first epoch never completed
    for key, value in model.state_dict().items():
        assert np.isfinite(value).all()
        np.testing.assert_array_equal(value, before[key])


def test_fit_rejects_bad_input(digits):
    (x, y), _ = digits
    trainer = Trainer(small_model(), "adam")
    with pytest.raises(ValueError, match="x has 1437 samples but y has 10"):
        trainer.fit(x[:1437], y[:10], verbose=0)
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'"):
        Trainer(small_model(), "adamm")
    with pytest.raises(ValueError, match="Unknown loss 'crossentropy'"):
        Trainer(small_model(), "adam", "crossentropy")
    with pytest.raises(ValueError, match="validation_split must be in"):
        trainer.fit(x, y, validation_split=1.5, verbose=0)


def test_resume_from_a_truncated_checkpoint_is_a_clear_error(digits, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    fit(small_model(), digits, epochs=1, callbacks=[ModelCheckpoint(path)])
    path.write_bytes(path.read_bytes()[:100])
    trainer = Trainer(small_model(), "adam")
    (x, y), _ = digits
    with pytest.raises(ValueError, match="ckpt.safetensors"):
        trainer.fit(x, y, epochs=2, verbose=0, resume_from=path)


def test_augmentation_reaches_training_batches_only(digits):
    calls = []

    def spy(x, y, rng):
        calls.append(len(x))
        return x, y

    fit(small_model(), digits, epochs=1, validation_split=0.2, augment=spy)
    assert sum(calls) == 1150  # the training part of the 1437 samples, once


def test_an_interrupted_and_resumed_augmented_run_equals_an_uninterrupted_one(digits, tmp_path):
    """One DataLoader per fit, told its epoch: shuffling, dropout and augmentation after a
    resume are those of the uninterrupted run, bit for bit."""
    path = tmp_path / "ckpt.safetensors"

    def noise(x, y, rng):
        return x + 0.1 * rng.standard_normal(x.shape).astype(x.dtype), y

    whole, _ = fit(small_model(), digits, epochs=4, augment=noise, validation_split=0.1)

    class Interrupt(zn.training.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(small_model(), digits, epochs=4, augment=noise, validation_split=0.1,
            callbacks=[ModelCheckpoint(path), Interrupt()])  # fmt: skip
    zn.manual_seed(99)
    resumed, history = fit(small_model(seed=5), digits, epochs=4, augment=noise,
                           validation_split=0.1, resume_from=path)  # fmt: skip
    assert history.history == whole.history.history
    for key, value in whole.model.state_dict().items():
        np.testing.assert_array_equal(resumed.model.state_dict()[key], value, err_msg=key)


def test_evaluate_hands_back_its_outputs(digits):
    trainer, _ = fit(small_model(), digits, epochs=1)
    _, (x_test, y_test) = digits
    logs, outputs = trainer.evaluate(x_test, y_test, return_outputs=True)
    assert logs == trainer.evaluate(x_test, y_test)
    np.testing.assert_array_equal(outputs, trainer.predict(x_test))


def test_a_run_killed_inside_an_epoch_resumes_from_its_last_batch_checkpoint(digits, tmp_path):
    """ModelCheckpoint(save_freq=N) saves where in the epoch training was: the resumed run
    ends with the uninterrupted run's weights and history, bit for bit."""
    path = tmp_path / "ckpt.safetensors"
    whole, _ = fit(small_model(), digits, epochs=3, validation_split=0.1)

    class Interrupt(zn.training.Callback):
        def on_batch_end(self, batch, logs=None):
            if self.trainer.current_epoch == 1 and batch == 7:
                raise KeyboardInterrupt

    checkpoint = ModelCheckpoint(path, save_freq=5)
    with pytest.raises(KeyboardInterrupt):
        fit(small_model(), digits, epochs=3, validation_split=0.1,
            callbacks=[checkpoint, Interrupt()])  # fmt: skip
    assert load_checkpoint(path)["extra"]["progress"]["batch"] == 5  # epoch 2, batches 1-5
    resumed, history = fit(small_model(seed=5), digits, epochs=3, validation_split=0.1,
                           resume_from=path)  # fmt: skip
    assert history.history == whole.history.history
    for key, value in whole.model.state_dict().items():
        np.testing.assert_array_equal(resumed.model.state_dict()[key], value, err_msg=key)


def test_model_checkpoint_every_seconds_saves_inside_epochs(digits, tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "c.safetensors", every_seconds=0)
    fit(small_model(), digits, epochs=1, batch_size=500, callbacks=[checkpoint])
    assert len(checkpoint.saved) == 3 + 1  # after each of the 3 batches, and the epoch's end
    with pytest.raises(ValueError, match="save_freq and every_seconds save the training state"):
        ModelCheckpoint(tmp_path / "c.safetensors", save_freq=5, save_weights_only=True)
