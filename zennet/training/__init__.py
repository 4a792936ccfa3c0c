"""Training: Trainer (fit / evaluate / predict), callbacks, metrics, History."""

from zennet.training import metrics
from zennet.training.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
)
from zennet.training.history import History
from zennet.training.tensorboard import TensorBoard
from zennet.training.trainer import Trainer
