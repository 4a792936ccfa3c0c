// The playground page: it sends the settings to the server, asks for training a slice at
// a time and draws what zennet computed. Nothing is computed here but colours and pixels.
"use strict";

const $ = (id) => document.getElementById(id);
const FIELDS = ["dataset", "noise", "size", "hidden", "activation", "loss", "optimizer",
  "lr", "batch_size", "l2", "seed"];
const NUMBERS = ["noise", "size", "lr", "batch_size", "l2", "seed"];
const ORANGE = [245, 147, 34], BLUE = [8, 119, 189], WHITE = [255, 255, 255];
let session = null, running = false, points = null, options = null;

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

function fill(select, names) {
  select.innerHTML = "";
  for (const name of names) select.add(new Option(name, name));
}

function settings() {
  const out = {};
  for (const field of FIELDS) {
    const value = $(field).value.trim();
    out[field] = NUMBERS.includes(field) && value !== "" && !isNaN(Number(value))
      ? Number(value) : value;
  }
  return out;
}

async function reset() {
  stop();
  showError("");
  try {
    const answer = await api("/api/session", {settings: settings()});
    if (session) navigator.sendBeacon("/api/close", JSON.stringify({id: session}));
    session = answer.id;
    points = answer.points;
    document.body.dataset.dataset = answer.config.dataset;  // which data set is live
    const layers = answer.config.hidden.length + 1;
    fill($("layer"), Array.from({length: layers}, (_, i) => String(i + 1)));
    $("layer").value = String(layers);
    draw(answer.state);
  } catch (error) {
    showError(error.message);
  }
}

async function loop() {
  while (running) {
    try {
      draw((await api("/api/train", {id: session, seconds: 0.1})).state);
    } catch (error) {
      showError(error.message);
      stop();
    }
  }
}

function start() {
  if (!session || running) return;
  running = true;
  $("train").textContent = "Pause";
  loop();
}

function stop() {
  running = false;
  $("train").textContent = "Train";
}

async function step() {
  stop();
  if (!session) return;
  try {
    const answer = await api("/api/step", {id: session, layer: Number($("layer").value)});
    draw(answer.state);
    drawStep(answer.view);
  } catch (error) {
    showError(error.message);
  }
}

// ------------------------------------------------------------------ drawing

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

function probabilityColour(p) {  // 0 orange, 0.5 white, 1 blue
  return p < 0.5 ? mix(ORANGE, WHITE, p * 2) : mix(WHITE, BLUE, (p - 0.5) * 2);
}

function paintGrid(canvas, values, side, colour) {
  const small = document.createElement("canvas");
  small.width = small.height = side;
  const ctx = small.getContext("2d"), image = ctx.createImageData(side, side);
  values.forEach((v, i) => {
    const [r, g, b] = colour(v);
    image.data.set([r, g, b, 255], 4 * i);
  });
  ctx.putImageData(image, 0, 0);
  const target = canvas.getContext("2d");
  target.imageSmoothingEnabled = true;
  target.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function draw(state) {
  drawBoundary(state);
  drawCurves(state.curves);
  drawNeurons(state);
  const c = state.current, percent = (v) => (100 * v).toFixed(1) + " %";
  $("epoch").textContent = state.epoch;
  $("steps").textContent = state.steps;
  $("train-loss").textContent = c.loss.toFixed(4);
  $("val-loss").textContent = c.val_loss.toFixed(4);
  $("train-accuracy").textContent = percent(c.accuracy);
  $("val-accuracy").textContent = percent(c.val_accuracy);
}

function drawBoundary(state) {
  const canvas = $("boundary"), ctx = canvas.getContext("2d");
  paintGrid(canvas, state.boundary, state.boundary_side, probabilityColour);
  const e = points.extent, scale = canvas.width / (2 * e);
  const dot = ([x, y, label], ring) => {
    ctx.beginPath();
    ctx.arc((x + e) * scale, (e - y) * scale, 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = label > 0.5 ? "rgb(8,119,189)" : "rgb(245,147,34)";
    ctx.fill();
    ctx.lineWidth = ring ? 1.5 : 0.8;
    ctx.strokeStyle = ring ? "#000" : "#fff";
    ctx.stroke();
  };
  points.train.forEach((p) => dot(p, false));
  points.val.forEach((p) => dot(p, true));
}

function drawCurves(curves) {
  const canvas = $("curves"), ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, left = 48, bottom = 30, top = 22;
  ctx.clearRect(0, 0, W, H);
  const epochs = curves.epoch, n = epochs.length;
  const high = Math.max(...curves.loss, ...curves.val_loss, 1e-6);
  const x = (i) => left + (W - left - 10) * (n > 1 ? epochs[i] / epochs[n - 1] : 0);
  const y = (v) => top + (H - top - bottom) * (1 - v / high);
  ctx.strokeStyle = "#888";
  ctx.strokeRect(left, top, W - left - 10, H - top - bottom);
  ctx.fillStyle = "#222";
  ctx.font = "12px sans-serif";
  ctx.fillText("loss", 4, top + 10);
  ctx.fillText(high.toFixed(3), 4, top + 24);
  ctx.fillText("0", left - 12, H - bottom);
  ctx.fillText(`epoch (0 to ${epochs[n - 1]})`, W / 2 - 40, H - 8);
  ctx.fillText("Training and validation loss", left, 14);
  for (const [key, dash] of [["loss", []], ["val_loss", [5, 4]]]) {
    ctx.beginPath();
    ctx.setLineDash(dash);
    ctx.strokeStyle = key === "loss" ? "#0877bd" : "#b3261e";
    curves[key].forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

function drawNeurons(state) {
  const box = $("neurons");
  box.innerHTML = "";
  state.neurons.forEach((layer, l) => {
    const column = document.createElement("div");
    column.className = "layer";
    column.innerHTML = `<span>A${l + 1} (${layer.length})</span>`;
    for (const values of layer) {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = state.neuron_side;
      const peak = Math.max(...values.map(Math.abs), 1e-9);
      paintGrid(canvas, values, state.neuron_side, (v) => probabilityColour(0.5 + v / peak / 2));
      column.appendChild(canvas);
    }
    box.appendChild(column);
  });
}

// --------------------------------------------------------------- the step view

function number(v) {
  return v === 0 ? "0" : Number(v.toPrecision(4)).toString();
}

function matrix(name, rows, note) {
  const table = document.createElement("table");
  table.className = "matrix";
  table.dataset.name = name;
  table.createCaption().textContent = `${name} (${rows.length}×${rows[0].length})${note || ""}`;
  for (const row of rows) {
    const tr = table.insertRow();
    for (const v of row) tr.insertCell().textContent = number(v);
  }
  return table;
}

function block(view, formula, names) {
  const div = document.createElement("div");
  div.innerHTML = `<p class="formula">${formula}</p>`;
  const arrays = document.createElement("div");
  arrays.className = "arrays";
  const partial = view.shown_samples < view.m ? ` first ${view.shown_samples} of m=${view.m}` : "";
  for (const name of names) {
    const columns = ["A_prev", "Z", "A", "dZ"].includes(name) ? partial : "";
    arrays.appendChild(matrix(name, view.arrays[name], columns ? ` —${columns} columns` : ""));
  }
  div.appendChild(arrays);
  return div;
}

function drawStep(view) {
  const box = $("step-view"), l = view.layer, prev = l === 1 ? "X" : `A${l - 1}`;
  box.innerHTML = `<p>Step on a batch of m = ${view.m} samples, layer l = ${l} of
    ${view.layers}; loss L = ${view.loss.toPrecision(5)}. One sample per column, as the
    primer writes it; A_prev is ${prev}.</p>`;
  box.appendChild(block(view, "Z = W·A_prev + b", ["W", "A_prev", "b", "Z"]));
  box.appendChild(block(view, `A = g(Z) = ${view.g}`, ["A"]));
  box.appendChild(block(view, "dZ = ∂(m·L)/∂Z  (zennet's Z.grad × m)", ["dZ"]));
  box.appendChild(block(view, "dW = (1/m)·dZ·A_prevᵀ  (zennet's weight.grad)", ["dW"]));
  box.appendChild(block(view, "db = (1/m)·Σ dZ  (zennet's bias.grad)", ["db"]));
  box.appendChild(block(view, `update: ${view.update_rule}   (α = ${view.lr}, λ = ${view.l2});
    W_new − W and b_new − b as the optimizer changed them`,
  ["update", "W_new", "b_update", "b_new"]));
  const checks = document.createElement("ul");
  for (const [formula, diff] of Object.entries(view.checks)) {
    checks.innerHTML += `<li class="check">${formula}: max |left − right| = ${diff.toExponential(1)}</li>`;
  }
  box.appendChild(checks);
}

// -------------------------------------------------------------------- start

async function main() {
  options = await api("/api/options");
  fill($("dataset"), Object.keys(options.datasets));
  fill($("activation"), options.activations);
  fill($("loss"), Object.keys(options.losses));
  fill($("optimizer"), Object.keys(options.optimizers));
  for (const field of FIELDS) {
    const value = options.defaults[field];
    $(field).value = Array.isArray(value) ? value.join(", ") : value;
  }
  const help = () => {
    $("help").textContent = `${$("dataset").value}: ${options.datasets[$("dataset").value]}. ` +
      `Loss: ${options.losses[$("loss").value]}. Update: ${options.optimizers[$("optimizer").value]}.`;
  };
  for (const field of FIELDS) $(field).addEventListener("change", () => { help(); reset(); });
  $("reset").addEventListener("click", reset);
  $("train").addEventListener("click", () => (running ? stop() : start()));
  $("step").addEventListener("click", step);
  window.addEventListener("pagehide", () => {
    if (session) navigator.sendBeacon("/api/close", JSON.stringify({id: session}));
  });
  help();
  await reset();
}

main().catch((error) => showError(error.message));
