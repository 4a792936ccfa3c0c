"""The ``zennet`` command: argument parsing and printing only. What each command does lives
in zennet.jobs; the names it accepts (data sets, models, optimizers, explanation methods,
augmentations) and their help come from the registries beside what they name."""

import argparse
import inspect
import sys

from zennet import jobs
from zennet.data.augment.spec import describe_keys
from zennet.data.datasets.registry import DATASETS
from zennet.distributed.group import is_main_process
from zennet.jobs.train import CHECKPOINT_SECONDS, DEFAULT_EPOCHS, DEFAULTS
from zennet.models import MODELS
from zennet.optim.registry import OPTIMIZERS
from zennet.version import __version__


def _names(registry):
    return "{" + ",".join(registry.names()) + "}"


def _listing(title, registry):
    lines = "\n".join(f"  {line}" for line in registry.describe().splitlines())
    return f"{title}:\n{lines}"


def _default_lrs():
    """Each optimizer's own default learning rate, from its signature."""
    lrs = {n: inspect.signature(OPTIMIZERS.get(n)).parameters["lr"].default for n in OPTIMIZERS}
    return "the optimizer's own: " + ", ".join(f"{n} {lr:g}" for n, lr in lrs.items())


def _parser():
    parser = argparse.ArgumentParser(prog="zennet", description="Train and use zennet models.")
    parser.add_argument("--version", action="version", version=f"zennet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train",
        help="train a model and report test metrics",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(
            [
                _listing("data sets (--data)", DATASETS),
                _listing("models (--model)", MODELS),
                _listing("optimizers (--optimizer)", OPTIMIZERS),
                "augmentations (--augment key=value,...):\n" + describe_keys(),
            ]
        ),
    )
    train.add_argument("--data", help=f"{_names(DATASETS)} or a PATH (default: {DEFAULTS['data']})")
    train.add_argument(
        "--model",
        metavar=_names(MODELS),
        help=f"(default: the data set's, else {DEFAULTS['model']})",
    )
    train.add_argument(
        "--optimizer", metavar=_names(OPTIMIZERS), help=f"(default: {DEFAULTS['optimizer']})"
    )
    epochs = ", ".join(f"{k} {v}" for k, v in DEFAULT_EPOCHS.items())
    numbers = [  # (option, type, metavar, help)
        ("--epochs", int, "N", f"epochs in all (default: {epochs}, else 10)"),
        ("--batch-size", int, "N",
         f"samples per training step (default: {DEFAULTS['batch_size']})"),
        ("--lr", float, "X", f"learning rate (default: {_default_lrs()})"),
        ("--seed", int, "N",
         f"seeds weights, shuffling, dropout, augmentation (default: {DEFAULTS['seed']})"),
        ("--label-smoothing", float, "X",
         "cross-entropy against (1 - X)·one-hot + X/classes, which keeps the network from "
         f"overconfidence (default: {DEFAULTS['label_smoothing']})"),
        ("--checkpoint-every", float, "SECONDS",
         "inside an epoch, save a checkpoint this often, so an interrupted run loses little "
         f"(default: {CHECKPOINT_SECONDS:g}; one is saved after every epoch too)"),
    ]  # fmt: skip
    for option, kind, metavar, text in numbers:
        train.add_argument(option, type=kind, metavar=metavar, help=text)
    train.add_argument(
        "--out",
        metavar="DIR",
        help="a new directory for the run (default: runs/run-DATE-TIME, which runs/latest "
        "then points to); it gets config.json, checkpoint.safetensors, model.safetensors, "
        "history.csv, results.json and two plots",
    )
    train.add_argument(
        "--resume",
        metavar="DIR",
        help="continue the run in DIR (e.g. runs/latest) with its settings; a larger "
        "--epochs extends it",
    )
    train.add_argument(
        "--steps",
        type=int,
        metavar="N",
        help="training steps of a language model or translator (default: 1000 for text)",
    )
    train.add_argument("--quiet", action="store_true", help="print only the final metrics")
    train.add_argument(
        "--workers", type=int, metavar="N", help="train with N MPI processes (docs/distributed.md)"
    )
    train.add_argument(
        "--augment",
        metavar="SPEC",
        help='augment training batches, e.g. "rotate=10,scale=0.1" (keys below; default: none)',
    )

    evaluate = commands.add_parser("evaluate", help="test metrics of a saved model")
    evaluate.add_argument("model")
    evaluate.add_argument("--data", default="digits", help=f"{_names(DATASETS)} or a PATH")

    predict = commands.add_parser(
        "predict", help="classify an image file, a WAV file or a .npy array"
    )
    predict.add_argument("model")
    predict.add_argument("input")

    summary = commands.add_parser("summary", help="print a saved model's layers and parameters")
    summary.add_argument("model")

    explain = commands.add_parser(
        "explain",
        help="heat map of what a saved model looked at",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_listing("methods (--method)", jobs.METHODS),
    )
    explain.add_argument("model")
    explain.add_argument(
        "input", help="an image file or a .npy array of inputs; for a text classifier, the text"
    )
    explain.add_argument(
        "--method", default="ig", metavar=_names(jobs.METHODS), help="(default: ig)"
    )
    explain.add_argument(
        "--out",
        help="the PNG to write (default: heatmap.png, or heatmap-2.png, ... if taken); "
        "for a text classifier, an HTML page of the coloured tokens (default: none)",
    )
    explain.add_argument(
        "--target", type=int, default=None, help="class to explain (default: the predicted one)"
    )
    explain.add_argument(
        "--trace",
        action="store_true",
        help="print one training step of an MLP layer by layer instead, in zennet's notation "
        "and the primer's (the textbook course's: one sample per column)",
    )
    generate = commands.add_parser("generate", help="sample text from a language model")
    generate.add_argument("model")
    generate.add_argument("--prompt", default="", help="the text to continue (default: none)")
    options = [  # (option, type, default, help)
        ("--length", int, 200, "characters to write"),
        ("--temperature", float, 1.0, "divide the logits by it; 0 takes the likeliest"),
        ("--top-k", int, None, "sample among the K likeliest tokens only"),
        ("--top-p", float, None, "sample among the likeliest tokens holding probability P"),
        ("--seed", int, None, "the same seed writes the same text"),
    ]
    for option, kind, default, text in options:
        generate.add_argument(option, type=kind, default=default, help=f"{text} ({default=})")
    translate = commands.add_parser("translate", help="translate a sentence with a translator")
    translate.add_argument("model")
    translate.add_argument("text")
    translate.add_argument(
        "--beam", type=int, default=4, help="beam width; 1 is greedy decoding (default: 4)"
    )
    translate.add_argument(
        "--attention", metavar="PNG", help="also draw the attention map into this PNG file"
    )
    detect = commands.add_parser("detect", help="draw boxes around the faces in an image")
    detect.add_argument("model", help="a face classifier (examples/faces.py --final PATH)")
    detect.add_argument("image")
    detect.add_argument("--out", default="boxes.png", help="the PNG to write")
    detect.add_argument("--threshold", type=float, default=0.5, help="least p(face) of a box")
    detect.add_argument("--scale-factor", type=float, default=1.25, help="pyramid step")
    detect.add_argument("--min-size", type=int, default=None, help="smallest face, pixels")
    detect.add_argument("--max-size", type=int, default=None, help="largest face, pixels")
    playground = commands.add_parser(
        "playground",
        help="a local page where a network learns a 2-D data set live, step by step",
        description="Serve the playground on http://127.0.0.1:PORT/ (open it in a browser; "
        "nothing is opened for you). Ctrl-C stops it.",
    )
    playground.add_argument(
        "--port", type=int, default=8000, help="the port (default: 8000; 0: any free port)"
    )
    return parser


def _key_values(results):
    return " ".join(f"{k}={v:.4f}" for k, v in results.items() if isinstance(v, float))


def main(argv=None):
    args = _parser().parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)  # --workers runs them again
    try:
        return COMMANDS[args.command](args)
    except (ValueError, TypeError, OSError, ImportError, MemoryError) as error:
        print(f"zennet {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"zennet {args.command}: interrupted.", file=sys.stderr)
        return 130


def _train(args):
    if args.workers:  # run again as N processes under mpiexec
        from zennet.distributed.launch import launch

        return launch(args.argv, args.workers)
    results = jobs.train(
        args.data,
        args.model,
        args.epochs,
        args.batch_size,
        args.optimizer,
        args.lr,
        args.seed,
        args.out,
        resume=args.resume,
        verbose=0 if args.quiet else 1,
        augment=args.augment,
        label_smoothing=args.label_smoothing,
        checkpoint_seconds=args.checkpoint_every,
        steps=args.steps,
    )
    if not is_main_process():
        return 0  # rank 0 reports
    if not args.quiet:
        for path in results["files"]:
            print(f"wrote {path}")
        if results.get("note"):
            print(results["note"])
    if results.get("interrupted"):
        print(f"zennet train: {results['interrupted']}", file=sys.stderr)
        return 130
    if results.get("stopped"):
        print(f"zennet train: error: {results['stopped']}", file=sys.stderr)
        return 3
    if results.get("finished"):
        print(f"zennet train: {results['finished']}")
    if results.get("sample"):
        print(f"sample:\n{results['sample']}")
    print(_key_values(results))
    return 0


def _generate(args):
    from zennet.jobs.text import generate_job

    options = (args.length, args.temperature, args.top_k, args.top_p, args.seed)
    print(generate_job(args.model, args.prompt, *options))
    return 0


def _translate(args):
    from zennet.jobs.translate import translate_job

    result = translate_job(args.model, args.text, args.beam, args.attention)
    print(result["translation"])
    if args.attention:
        print(f"wrote {args.attention}", file=sys.stderr)
    return 0


def _evaluate(args):
    print(_key_values(jobs.evaluate(args.model, args.data)))
    return 0


def _predict(args):
    result = jobs.predict(args.model, args.input)
    if result["note"]:
        print(f"zennet predict: note: {result['note']}", file=sys.stderr)
    for text, p in zip(result.get("texts", []), result["probabilities"]):
        print(f"digits={text} probability={p:.4f}")  # a CTC model's transcription
    names = result.get("names") or [None] * len(result.get("classes", []))
    for c, name, p in zip(result.get("classes", []), names, result["probabilities"]):
        named = "" if name is None else f" name={name}"
        print(f"class={int(c)}{named} probability={float(p[c]):.4f}")
    return 0


def _summary(args):
    print(jobs.summary(args.model))
    return 0


def _explain(args):
    result = jobs.explain(args.model, args.input, args.method, args.out, args.target, args.trace)
    if args.trace:
        print(result)
        return 0
    if "tokens" in result:  # a text classifier: the tokens in their colours
        print(
            f"class={result['target']} name={result['label']} "
            f"probability={result['probability']:.4f} predicted={result['predicted']}"
        )
        print(result["shown"])
        print(
            f"attributions sum to {sum(result['attributions']):.4f}; "
            f"f(text) - f(zero embeddings) = {result['score'] - result['baseline_score']:.4f}"
        )
        if result["path"]:
            print(f"wrote {result['path']}")
        return 0
    if result["note"]:
        print(f"zennet explain: note: {result['note']}", file=sys.stderr)
    for i, (c, t, p) in enumerate(
        zip(result["predicted"], result["target"], result["probability"])
    ):
        kind = "digits" if isinstance(c, str) else "class"  # a CTC model's transcription
        print(f"sample={i} {kind}={c} target={t} probability={p:.4f}")
    print(f"wrote {result['path']}")
    return 0


def _detect(args):
    from zennet.jobs.detect import detect_job, format_detections

    options = (args.threshold, args.scale_factor, args.min_size, args.max_size)
    print(format_detections(detect_job(args.model, args.image, args.out, *options)))
    return 0


def _playground(args):
    from zennet.jobs.playground.server import make_server

    server = make_server(args.port)
    host, port = server.server_address[:2]
    print(f"zennet playground: serving on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("zennet playground: stopped.")
    finally:
        server.server_close()
    return 0


COMMANDS = {
    "train": _train,
    "evaluate": _evaluate,
    "predict": _predict,
    "summary": _summary,
    "explain": _explain,
    "detect": _detect,
    "playground": _playground,
    "generate": _generate,
    "translate": _translate,
}


def _one_line(error):
    """The message of an error, on one line: "No such file or directory: 'x.npz'"."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror + (f": {error.filename!r}" if error.filename else "")
    if isinstance(error, MemoryError):
        return f"out of memory ({error}); try a smaller --batch-size or model."
    return " ".join(str(error).split()) or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
