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
from zennet.optim.adam_variants import Adamax, NAdam, RAdam
from zennet.optim.classic import ASGD, Adadelta, Rprop
from zennet.optim.lbfgs import LBFGS
from zennet.optim.sparse_adam import SparseAdam
from zennet.optim import lr_scheduler_extra

for _name in lr_scheduler_extra.__all__:  # optim.lr_scheduler.LambdaLR, as PyTorch
    setattr(lr_scheduler, _name, getattr(lr_scheduler_extra, _name))
