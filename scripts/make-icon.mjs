// Draws the marketplace icon, media/icon.png (128×128 RGBA), from shapes: a dark rounded tile, per-class bar
// pairs (hard CE, light; label-smoothed CE, orange) standing on a dashed line — the label-smoothing floor no
// smoothed bar goes below. Pure Node (zlib for the PNG), 4×4 supersampling for smooth edges.
//   node scripts/make-icon.mjs [out.png]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SS = 4;
const out = process.argv[2] ?? join(new URL('..', import.meta.url).pathname, 'media', 'icon.png');

const TILE = [0x1f, 0x26, 0x3a];
const HARD = [0x8a, 0xb4, 0xf8];
const SMOOTH = [0xf5, 0x9e, 0x42];
const FLOOR = [0xe8, 0xe8, 0xf0];

const insideRoundedRect = (x, y, x0, y0, x1, y1, r) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};

// Bars: [hard height, smoothed height] per class, in pixels above the baseline.
const baseline = 104;
const floorY = 80; // the floor line: every smoothed bar reaches at least this height
const pairs = [
  [58, 30],
  [20, 26],
  [74, 40],
  [36, 28],
];
const barW = 10;
const gap = 2;
const groupGap = 8;
const groupW = 2 * barW + gap;
const left = (SIZE - (pairs.length * groupW + (pairs.length - 1) * groupGap)) / 2;

/** The colour (or null) of the icon at a point, in paint order: tile, bars, floor line. */
function colourAt(x, y) {
  let c = null;
  if (insideRoundedRect(x, y, 4, 4, SIZE - 4, SIZE - 4, 22)) c = TILE;
  else return null;
  pairs.forEach(([hard, smooth], i) => {
    const gx = left + i * (groupW + groupGap);
    if (insideRoundedRect(x, y, gx, baseline - hard, gx + barW, baseline, 2)) c = HARD;
    const sx = gx + barW + gap;
    const sTop = Math.min(baseline - smooth, floorY);
    if (insideRoundedRect(x, y, sx, sTop, sx + barW, baseline, 2)) c = SMOOTH;
  });
  // Dashed floor line across the bars, and a solid baseline.
  if (Math.abs(y - floorY) <= 1.5 && x >= 14 && x <= SIZE - 14 && Math.floor((x - 14) / 6) % 2 === 0) c = FLOOR;
  if (y >= baseline && y <= baseline + 3 && x >= 14 && x <= SIZE - 14) c = FLOOR;
  return c;
}

const rgba = Buffer.alloc(SIZE * SIZE * 4);
for (let py = 0; py < SIZE; py++) {
  for (let px = 0; px < SIZE; px++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let a = 0;
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const c = colourAt(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS);
        if (!c) continue;
        r += c[0];
        g += c[1];
        b += c[2];
        a += 1;
      }
    }
    const o = (py * SIZE + px) * 4;
    if (a > 0) {
      rgba[o] = Math.round(r / a);
      rgba[o + 1] = Math.round(g / a);
      rgba[o + 2] = Math.round(b / a);
      rgba[o + 3] = Math.round((255 * a) / (SS * SS));
    }
  }
}

// PNG: signature, IHDR, one IDAT (each row prefixed by filter type 0), IEND.
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) rgba.copy(raw, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(out, png);
console.log(`make-icon: ${out} (${SIZE}×${SIZE}, ${png.length} bytes)`);
