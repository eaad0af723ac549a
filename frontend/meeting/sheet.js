// The sheet's arithmetic on the phone, with no DOM and no storage: what the phone expects the
// server to hold once its queued changes arrive, and what a new edit changes.

export const FIELDS = ["status", "late", "shares", "fund"];

// known: {member: {status, late, shares, fund}} as the server last said; changes: queued
// changes in order. The row changes are laid over the known lines.
export function expected(known, changes) {
  const out = {};
  Object.keys(known).forEach(function (n) { out[n] = Object.assign({}, known[n]); });
  changes.forEach(function (c) {
    if (c.kind !== "row") return;
    const n = String(c.payload.member);
    out[n] = Object.assign({}, out[n] || {}, c.payload.values);
  });
  return out;
}

// The fields the treasurer has just changed on a line, each with the value the phone expects
// the server to hold when this change arrives (its base). Fields in conflict wait for the
// treasurer's choice and are not sent with other edits of the line.
export function lineChange(expectedRow, shown, inConflict) {
  const values = {};
  const base = {};
  FIELDS.forEach(function (f) {
    if (inConflict.indexOf(f) >= 0) return;
    if (!expectedRow || shown[f] === expectedRow[f]) return;
    values[f] = shown[f];
    base[f] = expectedRow ? expectedRow[f] : null;
  });
  return Object.keys(values).length ? { values: values, base: base } : null;
}

// A line's change was refused: the later changes of the same line were based on it, so they
// are based again on what the server still holds.
export function rebase(changes, refused) {
  if (refused.kind !== "row") return [];
  const touched = [];
  changes.forEach(function (c) {
    if (c.kind !== "row" || c.seq <= refused.seq || c.payload.member !== refused.payload.member) return;
    let moved = false;
    Object.keys(refused.payload.values).forEach(function (f) {
      if (f in c.payload.base && c.payload.base[f] === refused.payload.values[f]) {
        c.payload.base[f] = refused.payload.base[f];
        moved = true;
      }
    });
    if (moved) touched.push(c);
  });
  return touched;
}

// «hace 2 min»: minutes since a time, for the status line.
export function minutesSince(time, now) {
  return Math.max(0, Math.floor((now - time) / 60000));
}
