"""The command line's jobs, one module each: what ``zennet train / evaluate / predict /
explain / summary`` do, as plain functions that return their results (the CLI parses
arguments and prints; tests call the jobs directly)."""

from zennet.jobs.evaluate import evaluate
from zennet.jobs.explain import METHODS, explain
from zennet.jobs.predict import predict
from zennet.jobs.summary import summary
from zennet.jobs.train import train
