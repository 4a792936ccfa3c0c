"""Parametrizations, as torch.nn.utils.parametrize: a module's tensor (``weight``) computed
on every access from other tensors by a small module,

    module.weight = P(module.parametrizations.weight.original)      (or original0, 1, ...)

``register_parametrization`` moves the parameter into ``module.parametrizations[name]``
(a :class:`ParametrizationList`, PyTorch's state-dict keys) and gives the module's class a
property of that name; ``remove_parametrizations`` puts a plain parameter back. Assigning
to a parametrized tensor, caching and ``unsafe`` shape changes are not supported.
"""

from zennet.autograd import no_grad
from zennet.nn.containers import ModuleDict, ModuleList
from zennet.nn.module import Parameter
from zennet.tensor import Tensor


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and its original tensor(s).

    When the first parametrization has ``right_inverse``, the original is what it returns
    for the current value: one tensor (``original``) or several (``original0``, ...),
    which ``forward`` passes to the parametrization together.
    """

    def __init__(self, modules, original):
        super().__init__(modules)
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        if self.is_tensor:
            original.data = new.data
            self.original = original if isinstance(original, Parameter) else Parameter(original)
        else:
            self.ntensors = len(new)
            for i, tensor in enumerate(new):
                self.register_parameter(f"original{i}", Parameter(tensor.data.copy()))

    def forward(self):
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has a parametrization (of ``tensor_name``, when given)."""
    parametrizations = module._modules.get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return tensor_name is None or tensor_name in parametrizations


def _parametrized_class(cls, names):
    """A subclass of ``cls`` with a read-only property per parametrized tensor name."""

    def make(name):
        def get(self):
            return self.parametrizations[name]()

        def set_(self, value):
            raise NotImplementedError(
                f"{type(self).__name__}: assigning to the parametrized tensor {name!r} is not "
                f"supported; assign to parametrizations.{name}.original instead."
            )

        return property(get, set_)

    return type(f"Parametrized{cls.__name__}", (cls,), {n: make(n) for n in names})


def _set_class(module):
    """Give ``module`` the class whose properties match its parametrized tensors."""
    base = getattr(type(module), "_unparametrized", type(module))
    names = list(module.parametrizations) if is_parametrized(module) else []
    if not names:
        module.__class__ = base
        return
    cls = _parametrized_class(base, names)
    cls._unparametrized = base
    module.__class__ = cls


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` = parametrization(original) from now on; a second call
    on the same tensor chains the parametrizations. Returns the module."""
    if unsafe:
        raise NotImplementedError("register_parametrization: unsafe=True is not supported.")
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    original = getattr(module, tensor_name, None)
    if not isinstance(original, Tensor):
        raise ValueError(
            f"register_parametrization: {type(module).__name__} has no parameter or buffer "
            f"{tensor_name!r}."
        )
    chain = ParametrizationList([parametrization], original)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = chain
    _set_class(module)
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo :func:`register_parametrization`: ``tensor_name`` becomes a plain parameter
    again, holding the parametrized value (or the original with leave_parametrized=False)."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(
            f"Module {type(module).__name__} does not have a parametrization on {tensor_name}"
        )
    chain = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = getattr(module, tensor_name)
    elif chain.is_tensor:
        value = chain.original
    else:
        raise ValueError(
            "remove_parametrizations: leave_parametrized=False needs a single original tensor."
        )
    del module.parametrizations._modules[tensor_name]
    if not len(module.parametrizations):
        delattr(module, "parametrizations")
    _set_class(module)
    setattr(module, tensor_name, Parameter(value.data))
    return module
