// What the phone keeps of a meeting, in IndexedDB (through idb): the changes not yet sent, in
// the order they were made, and the sheet as the server last said it was. Closing the tab,
// reloading or locking the phone loses nothing: every change is written here before anything
// is sent. See docs/offline.md.
import { openDB } from "idb";

const DB = "cajas";
const VERSION = 1;

function open() {
  return openDB(DB, VERSION, {
    upgrade(db) {
      // One record per change: {seq, key, sheet, kind, payload, made}. `seq` orders them.
      const changes = db.createObjectStore("changes", { keyPath: "seq", autoIncrement: true });
      changes.createIndex("sheet", "sheet");
      // One record per meeting: {id, known, knownAt, conflicts, refused, syncedAt}.
      db.createObjectStore("sheets", { keyPath: "id" });
    },
  });
}

let dbPromise = null;
function db() {
  if (!dbPromise) dbPromise = open();
  return dbPromise;
}

export async function sheetGet(id) {
  const sheet = await (await db()).get("sheets", id);
  return sheet || { id, known: {}, knownAt: "", conflicts: {}, refused: {}, syncedAt: null };
}

export async function sheetPut(sheet) {
  await (await db()).put("sheets", sheet);
}

export async function changeAdd(change) {
  return (await db()).add("changes", change);
}

export async function changePut(change) {
  await (await db()).put("changes", change);
}

export async function changeDelete(seq) {
  await (await db()).delete("changes", seq);
}

// The meeting's changes not yet sent, oldest first.
export async function changesOf(sheetId) {
  const all = await (await db()).getAllFromIndex("changes", "sheet", sheetId);
  return all.sort((a, b) => a.seq - b.seq);
}
