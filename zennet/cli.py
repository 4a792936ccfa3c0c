"""The ``zennet`` command: argument parsing and printing only; the jobs live in
training/run.py and explain/job.py."""

import argparse
import sys

from zennet.explain.job import METHODS, explain_job
from zennet.training import run


def _parser():
    parser = argparse.ArgumentParser(prog="zennet", description="Train and use zennet models.")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model and report test metrics")
    train.add_argument("--data", default="digits", help="digits | fashion-mnist | PATH")
    train.add_argument("--model", default="mlp", help="logistic | mlp | cnn")
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--optimizer", default="adam", help="adam | sgd | adamw | rmsprop | adagrad")
    train.add_argument("--lr", type=float, default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="runs/latest", help="directory for model, history, plots")
    train.add_argument("--resume", metavar="DIR", help="continue the interrupted run in DIR")
    train.add_argument("--quiet", action="store_true", help="print only the final metrics")
    train.add_argument(
        "--augment",
        default=None,
        metavar="SPEC",
        help='augment training batches, e.g. "translate=1,rotate=10" or "crop=2,hflip,mixup"; '
        "keys: crop translate rotate scale elastic hflip vflip brightness contrast noise "
        "erase cutout mixup cutmix (zennet.data.augment.parse_augmentation)",
    )

    evaluate = commands.add_parser("evaluate", help="test metrics of a saved model")
    evaluate.add_argument("model")
    evaluate.add_argument("--data", default="digits")

    predict = commands.add_parser("predict", help="classify an image file or a .npy array")
    predict.add_argument("model")
    predict.add_argument("input")

    summary = commands.add_parser("summary", help="print a saved model's layers and parameters")
    summary.add_argument("model")

    explain = commands.add_parser("explain", help="heat map of what a saved model looked at")
    explain.add_argument("model")
    explain.add_argument("input", help="an image file or a .npy array of inputs")
    explain.add_argument(
        "--method",
        default="ig",
        choices=METHODS,
        help="ig = integrated gradients, gxi = gradient × input (default: ig)",
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
        if args.command == "train":
            out = args.resume or args.out
            results = run.train(
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
            for path in results["files"]:
                print(f"wrote {path}")
            if results.get("note"):
                print(results["note"])
            if results["stopped"]:
                print(f"zennet train: error: {results['stopped']}", file=sys.stderr)
                return 3
            print(_key_values(results))
        elif args.command == "evaluate":
            print(_key_values(run.evaluate(args.model, args.data)))
        elif args.command == "predict":
            classes, probabilities = run.predict(args.model, args.input)
            for c, p in zip(classes, probabilities):
                print(f"class={int(c)} probability={float(p[c]):.4f}")
        elif args.command == "summary":
            print(run.summary(args.model))
        elif args.command == "explain":
            result = explain_job(
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
