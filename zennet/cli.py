"""The ``zennet`` command: argument parsing and printing only. What each command does lives
in zennet.jobs; the names it accepts (data sets, models, optimizers, explanation methods,
augmentations) and their help come from the registries beside what they name."""

import argparse
import sys

from zennet import jobs
from zennet.data.augment.spec import describe_keys
from zennet.data.datasets.registry import DATASETS
from zennet.distributed.group import is_main_process
from zennet.models import MODELS
from zennet.optim.registry import OPTIMIZERS


def _names(registry):
    return "{" + ",".join(registry.names()) + "}"


def _listing(title, registry):
    lines = "\n".join(f"  {line}" for line in registry.describe().splitlines())
    return f"{title}:\n{lines}"


def _parser():
    parser = argparse.ArgumentParser(prog="zennet", description="Train and use zennet models.")
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
    train.add_argument(
        "--data", default="digits", help=f"{_names(DATASETS)} or a PATH (default: digits)"
    )
    train.add_argument(
        "--model", default=None, metavar=_names(MODELS), help="(default: the data set's, or mlp)"
    )
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument(
        "--optimizer", default="adam", metavar=_names(OPTIMIZERS), help="(default: adam)"
    )
    train.add_argument("--lr", type=float, default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="runs/latest", help="directory for model, history, plots")
    train.add_argument("--resume", metavar="DIR", help="continue the interrupted run in DIR")
    train.add_argument("--quiet", action="store_true", help="print only the final metrics")
    train.add_argument(
        "--workers", type=int, default=None, metavar="N", help="train with N MPI processes"
    )
    train.add_argument(
        "--augment",
        default=None,
        metavar="SPEC",
        help='augment training batches, e.g. "rotate=10,scale=0.1" (keys below)',
    )

    evaluate = commands.add_parser("evaluate", help="test metrics of a saved model")
    evaluate.add_argument("model")
    evaluate.add_argument("--data", default="digits", help=f"{_names(DATASETS)} or a PATH")

    predict = commands.add_parser("predict", help="classify an image file or a .npy array")
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
    explain.add_argument("input", help="an image file or a .npy array of inputs")
    explain.add_argument(
        "--method", default="ig", metavar=_names(jobs.METHODS), help="(default: ig)"
    )
    explain.add_argument("--out", default="heatmap.png", help="the PNG to write")
    explain.add_argument(
        "--target", type=int, default=None, help="class to explain (default: the predicted one)"
    )
    explain.add_argument(
        "--trace", action="store_true", help="print one training step layer by layer instead (MLPs)"
    )
    detect = commands.add_parser("detect", help="draw boxes around the faces in an image")
    detect.add_argument("model", help="a face classifier (examples/faces.py --final PATH)")
    detect.add_argument("image")
    detect.add_argument("--out", default="boxes.png", help="the PNG to write")
    detect.add_argument("--threshold", type=float, default=0.5, help="least p(face) of a box")
    detect.add_argument("--scale-factor", type=float, default=1.25, help="pyramid step")
    detect.add_argument("--min-size", type=int, default=None, help="smallest face, pixels")
    detect.add_argument("--max-size", type=int, default=None, help="largest face, pixels")
    return parser


def _key_values(results):
    return " ".join(f"{k}={v:.4f}" for k, v in results.items() if isinstance(v, float))


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "train" and args.workers:  # again, under mpiexec -n N
            from zennet.distributed.launch import launch

            return launch(sys.argv[1:] if argv is None else argv, args.workers)
        if args.command == "train":
            out = args.resume or args.out
            results = jobs.train(
                args.data,
                args.model,
                args.epochs,
                args.batch_size,
                args.optimizer,
                args.lr,
                args.seed,
                out,
                resume=bool(args.resume),
                verbose=0 if args.quiet else 1,
                augment=args.augment,
            )
            if not is_main_process():
                return 0  # rank 0 reports
            for path in results["files"]:
                print(f"wrote {path}")
            if results.get("note"):
                print(results["note"])
            if results["stopped"]:
                print(f"zennet train: error: {results['stopped']}", file=sys.stderr)
                return 3
            print(_key_values(results))
        elif args.command == "evaluate":
            print(_key_values(jobs.evaluate(args.model, args.data)))
        elif args.command == "predict":
            classes, probabilities = jobs.predict(args.model, args.input)
            for c, p in zip(classes, probabilities):
                if isinstance(c, str):  # a CTC model's transcription
                    print(f"digits={c} probability={p:.4f}")
                else:
                    print(f"class={int(c)} probability={float(p[c]):.4f}")
        elif args.command == "summary":
            print(jobs.summary(args.model))
        elif args.command == "explain":
            result = jobs.explain(
                args.model, args.input, args.method, args.out, args.target, args.trace
            )
            if args.trace:
                print(result)
            else:
                for i, (c, t) in enumerate(zip(result["predicted"], result["target"])):
                    print(f"sample={i} class={c} target={t}")
                print(f"wrote {result['path']}")
        elif args.command == "detect":
            from zennet.jobs.detect import detect_job, format_detections

            result = detect_job(
                args.model,
                args.image,
                args.out,
                args.threshold,
                args.scale_factor,
                args.min_size,
                args.max_size,
            )
            print(format_detections(result))
    except (ValueError, TypeError, OSError, ImportError, MemoryError) as error:
        print(f"zennet {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resume = f"; continue with `zennet train --resume {out}`" if args.command == "train" else ""
        print(f"zennet {args.command}: interrupted{resume}.", file=sys.stderr)
        return 130
    return 0


def _one_line(error):
    """The message of an error, on one line: "No such file or directory: 'x.npz'"."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror + (f": {error.filename!r}" if error.filename else "")
    if isinstance(error, MemoryError):
        return f"out of memory ({error}); try a smaller --batch-size or model."
    return " ".join(str(error).split()) or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
