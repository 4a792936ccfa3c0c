import csv

import numpy as np
import pytest

import zennet as zn
from zennet import nn
from zennet.io import load_checkpoint
from zennet.training import (
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    Trainer,
)


@pytest.fixture(scope="module")
def digits():
    (x, y), _ = zn.datasets.load_digits()
    return x, y


def trainer_for(lr=3e-3, seed=0):
    zn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    return Trainer(model, zn.optim.Adam(model.parameters(), lr=lr), "cross_entropy", ["accuracy"])


class ScriptedLoss(zn.training.Callback):
    """Overwrite the logged val_loss with a script, so a callback must act at a known epoch."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def test_early_stopping_stops_and_restores_the_best_weights(digits):
    x, y = digits
    trainer = trainer_for()
    snapshots = []

    class Keep(zn.training.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(self.trainer.model.state_dict())

    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    scripted = ScriptedLoss([1.0, 0.5, 0.7, 0.6, 0.4, 0.3])
    history = trainer.fit(
        x,
        y,
        epochs=6,
        batch_size=128,
        validation_split=0.2,
        verbose=0,
        callbacks=[scripted, Keep(), stopper],
    )
    assert history.epoch == [0, 1, 2, 3]  # best at epoch 1, two epochs without improvement
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for key, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[1][key])


def test_model_checkpoint_saves_only_improvements(digits, tmp_path):
    x, y = digits
    checkpoint = ModelCheckpoint(
        tmp_path / "best-{epoch}.safetensors", monitor="val_loss", save_best_only=True
    )
    scripted = ScriptedLoss([1.0, 1.2, 0.8, 0.9])
    trainer_for().fit(
        x,
        y,
        epochs=4,
        batch_size=128,
        validation_split=0.2,
        verbose=0,
        callbacks=[scripted, checkpoint],
    )
    assert [p.name for p in sorted(tmp_path.iterdir())] == [
        "best-1.safetensors",
        "best-3.safetensors",
    ]
    saved = load_checkpoint(tmp_path / "best-3.safetensors")
    assert set(saved["model_state"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert saved["epoch"] == 3 and saved["optimizer_state"] is not None  # resumable


class Remember(zn.training.Callback):
    def __init__(self):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.trainer.model.state_dict())


def test_model_checkpoint_weights_only_keeps_the_weights_of_the_best_epoch(digits, tmp_path):
    x, y = digits
    path = tmp_path / "best.safetensors"
    checkpoint = ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    remember = Remember()
    trainer = trainer_for()
    trainer.fit(x, y, epochs=3, batch_size=128, validation_split=0.2, verbose=0,
                callbacks=[ScriptedLoss([1.0, 0.7, 0.9]), checkpoint, remember])  # fmt: skip
    saved = load_checkpoint(path)
    assert saved["optimizer_state"] is None and saved["epoch"] is None
    assert checkpoint.saved == [str(path), str(path)]  # epochs 1 and 2 improved, 3 did not
    for key, value in remember.weights[1].items():  # the weights after epoch 2
        np.testing.assert_array_equal(saved["model_state"][key], value)
    with pytest.raises(ValueError, match="holds the weights only"):
        trainer_for().load_checkpoint(path)


def test_monitoring_a_missing_key_is_a_clear_error(digits):
    x, y = digits
    with pytest.raises(ValueError, match="monitor='val_loss' is not in the logs"):
        trainer_for().fit(x, y, epochs=1, verbose=0, callbacks=[EarlyStopping()])


def test_learning_rate_scheduler_with_a_function_and_a_scheduler(digits):
    x, y = digits
    trainer = trainer_for(lr=0.01)
    schedule = LearningRateScheduler(lambda epoch, lr: 0.01 * 0.5**epoch)
    history = trainer.fit(x, y, epochs=3, batch_size=256, verbose=0, callbacks=[schedule])
    assert history.history["lr"] == pytest.approx([0.01, 0.005, 0.0025])

    trainer = trainer_for(lr=0.01)
    step = zn.optim.lr_scheduler.StepLR(trainer.optimizer, step_size=1, gamma=0.1)
    history = trainer.fit(
        x, y, epochs=3, batch_size=256, verbose=0, callbacks=[LearningRateScheduler(step)]
    )
    assert history.history["lr"] == pytest.approx([0.01, 0.001, 0.0001])


def test_csv_logger_writes_one_row_per_epoch(digits, tmp_path):
    x, y = digits
    path = tmp_path / "log.csv"
    trainer_for().fit(
        x, y, epochs=3, batch_size=256, validation_split=0.2, verbose=0, callbacks=[CSVLogger(path)]
    )
    rows = list(csv.DictReader(path.open()))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert set(rows[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert float(rows[2]["loss"]) < float(rows[0]["loss"])
