"""The pictures of docs/speech.md: the log-mel spectrogram of one held-out utterance, and
the integrated-gradients attribution of a trained digit model's decision on it.

    python examples/speech.py digits --out runs/speech-digits
    python examples/speech_pictures.py runs/speech-digits docs
"""

import argparse
import json
from pathlib import Path

import numpy as np

import zennet as zn
from zennet.audio.features import features
from zennet.audio.models import SpeechCNN
from zennet.audio.plot import save_attribution, save_spectrogram
from zennet.data.datasets import speech


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", help="a directory written by examples/speech.py digits")
    parser.add_argument("out_dir", help="where the two PNG files go")
    parser.add_argument("--index", type=int, default=7, help="which test utterance")
    args = parser.parse_args(argv)
    model_dir, out_dir = Path(args.model_dir), Path(args.out_dir)
    card = json.loads((model_dir / "speech.json").read_text())
    test = speech.spoken_digits()[2]
    wave, label, voice = test.audio[args.index], test.labels[args.index], test.voices[args.index]
    x, frames = features([wave], card["frames"])
    n = int(frames[0])
    title = f'"{label}" spoken by {voice} (a voice never heard in training)'
    save_spectrogram(out_dir / "speech_logmel.png", x[0, 0, :, :n], title)

    model = SpeechCNN(len(card["classes"]), width=card.get("width", 64))
    model.load_state_dict(zn.load(model_dir / "model.safetensors"))
    model.eval()
    with zn.no_grad():
        scores = model(zn.tensor(x)).numpy()[0]
    p = np.exp(scores - scores.max())
    p /= p.sum()
    predicted = int(p.argmax())
    ig = zn.explain.integrated_gradients(model, x, np.array([predicted]), steps=32)
    title = f"integrated gradients for '{predicted}' (p = {p[predicted]:.3f}), true '{label}'"
    save_attribution(out_dir / "speech_attribution.png", x[0, 0, :, :n], ig[0, 0, :, :n], title)
    for name in ("speech_logmel.png", "speech_attribution.png"):
        print(f"wrote {out_dir / name} ({(out_dir / name).stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
