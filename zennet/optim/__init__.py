"""Optimizers and learning-rate schedules: ``from zennet import optim``.

opt = optim.Adam(model.parameters(), lr=1e-3)
sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=1000)
"""

from zennet.optim.adagrad import Adagrad
from zennet.optim.adam import Adam, AdamW
from zennet.optim.optimizer import Optimizer
from zennet.optim.rmsprop import RMSprop
from zennet.optim.sgd import SGD
from zennet.optim import lr_scheduler
from zennet.optim.registry import OPTIMIZERS, get
