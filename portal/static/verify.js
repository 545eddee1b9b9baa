// Gongshi verify page. The chosen file is hashed in the browser (WebCrypto): it is
// never uploaded. Its SHA-256 is looked up at /verify/sha256/HEX, and each match's
// receipt is checked here: the entry names the file's SHA-256, the inclusion proof
// leads from the entry to the root of the signed checkpoint (RFC 6962 hashing, as
// golang.org/x/mod/sumdb/tlog), and the checkpoint carries a valid Ed25519
// signature by the archive's published key (C2SP signed-note). A receipt file is
// checked the same way, with no lookup at all. Without WebCrypto, the form posts
// the file to the server, which does the same checks.
"use strict";
(function () {
  const form = document.getElementById("verify-form");
  if (!form) return;
  document.documentElement.classList.add("has-js");
  const out = document.getElementById("js-result");
  const msgs = {};
  const tpl = document.getElementById("msgs");
  if (tpl) {
    for (const el of tpl.content.querySelectorAll("[data-k]")) msgs[el.dataset.k] = el.textContent;
  }
  const subtle = window.crypto && window.crypto.subtle;
  if (!subtle) {
    const note = document.getElementById("js-note");
    if (note) note.textContent = msgs.no_crypto || "";
    return; // the form posts as without JavaScript
  }

  const enc = new TextEncoder();
  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const concat = (...parts) => {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const o = new Uint8Array(n);
    let i = 0;
    for (const p of parts) { o.set(p, i); i += p.length; }
    return o;
  };
  const sha256 = async (bytes) => new Uint8Array(await subtle.digest("SHA-256", bytes));
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const leafHash = (entry) => sha256(concat(new Uint8Array([0]), enc.encode(entry)));
  const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

  // The largest power of two smaller than n (n > 1).
  const maxpow2 = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k; };

  // The root that proof leads to from leaf n of a tree of size hi (tlog.CheckRecord).
  async function runProof(proof, lo, hi, n, leaf) {
    if (lo + 1 === hi) {
      if (proof.length !== 0) throw new Error("proof too long");
      return leaf;
    }
    if (proof.length === 0) throw new Error("proof too short");
    const k = maxpow2(hi - lo);
    const last = proof[proof.length - 1];
    const rest = proof.slice(0, -1);
    if (n < lo + k) return nodeHash(await runProof(rest, lo, lo + k, n, leaf), last);
    return nodeHash(last, await runProof(rest, lo + k, hi, n, leaf));
  }

  // parseKey reads a note verifier key: name+hash+base64(0x01 || ed25519 key).
  function parseKey(text) {
    // The base64 may itself hold '+': split at the first two only.
    const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(text.trim());
    if (!m) throw new Error("bad key");
    const raw = b64(m[3]);
    if (raw.length !== 33 || raw[0] !== 1) throw new Error("not an Ed25519 key");
    return { name: m[1], hash: parseInt(m[2], 16) >>> 0, pub: raw.slice(1) };
  }

  // checkCheckpoint verifies the signed note and returns its size and root.
  async function checkCheckpoint(signed, key) {
    const i = signed.indexOf("\n\n");
    if (i < 0) throw new Error("no signature");
    const text = signed.slice(0, i + 1);
    const lines = text.split("\n");
    if (lines[0] !== key.name) throw new Error("checkpoint of another log");
    let sigOK = false;
    for (const line of signed.slice(i + 2).split("\n")) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== key.name) continue;
      const sig = b64(m[2]);
      const h = ((sig[0] << 24) | (sig[1] << 16) | (sig[2] << 8) | sig[3]) >>> 0;
      if (h !== key.hash || sig.length !== 68) continue;
      const k = await subtle.importKey("raw", key.pub, { name: "Ed25519" }, false, ["verify"]);
      sigOK = await subtle.verify({ name: "Ed25519" }, k, sig.slice(4), enc.encode(text));
      if (sigOK) break;
    }
    return { sigOK, size: Number(lines[1]), root: b64(lines[2]) };
  }

  // checkReceipt returns what holds of one receipt: signature, proof, file
  // hash, and the record it shows (its JSON is the one the entry names).
  async function checkReceipt(r, key, fileHex) {
    const res = { sigOK: false, proofOK: false, hashOK: fileHex === null, recordOK: !r.record };
    const cp = await checkCheckpoint(r.checkpoint, key);
    res.sigOK = cp.sigOK;
    try {
      const proof = (r.proof || []).map(b64);
      const root = await runProof(proof, 0, cp.size, r.index, await leafHash(r.entry));
      res.proofOK = r.index >= 0 && r.index < cp.size && equal(root, cp.root);
    } catch (e) {
      res.proofOK = false;
    }
    if (fileHex !== null) {
      // v1 entries say "sha256 H", v2 entries "content-sha256 H".
      const m = /\n(?:content-)?sha256 ([0-9a-f]{64})\n/.exec(r.entry);
      res.hashOK = !!m && m[1] === fileHex;
    }
    if (r.record) {
      // v1 entries say "record-sha256 H", later ones "version-sha256 H".
      const m = /\n(?:version|record)-sha256 ([0-9a-f]{64})\n/.exec(r.entry);
      res.recordOK = !!m && m[1] === hex(await sha256(enc.encode(r.record)));
    }
    res.ok = res.sigOK && res.proofOK && res.hashOK && res.recordOK;
    return res;
  }

  // dayText is a YYYY-MM-DD date as the page's language writes it.
  function dayText(d, en) {
    const x = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d || "");
    if (!x || en) return d || "";
    return Number(x[1]) + "年" + Number(x[2]) + "月" + Number(x[3]) + "日";
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function say(text, cls) {
    out.replaceChildren();
    const box = el("div", "notice " + (cls || ""));
    box.setAttribute("role", "status");
    box.append(el("p", "", text));
    out.append(box);
    return box;
  }

  // showMatch shows one record version: the server's verdict and, for a
  // verified one, what this page checked of its receipt (res; null for none).
  function showMatch(m, res) {
    const en = form.dataset.lang === "en";
    const card = el("div", "card");
    const p = el("p");
    if (m.disposed) {
      // A disposed record has no page any more.
      p.append(el("span", "card-title", m.title || m.record));
    } else {
      const a = el("a", "card-title", m.title || m.record);
      a.href = (en ? "/en" : "") + "/records/" + m.record;
      p.append(a);
    }
    if (m.record_bound === false) p.append(" ", el("span", "unbound", msgs.unbound));
    card.append(p);
    let version = (msgs.version || "") + " " + m.version;
    // A disposed record's later version is its tombstone, not a correction.
    if (m.latest_version > m.version && !m.disposed) {
      const note = msgs.superseded + " " + m.latest_version;
      version += en ? " (" + note + ")" : "（" + note + "）";
    }
    const ok = m.verified && res !== null && res.ok;
    const parts = [version, dayText(m.date, en), ok ? msgs.match_ok : msgs.match_no];
    if (res !== null) {
      parts.push(res.sigOK ? msgs.sig_ok : msgs.sig_bad, res.proofOK ? msgs.proof_ok : msgs.proof_bad);
      if (!res.hashOK) parts.push(msgs.hash_bad);
      if (!res.recordOK) parts.push(msgs.record_bad);
    }
    card.append(el("p", "meta", parts.filter(Boolean).join(" · ")));
    if (m.reason) {
      // What it means, in plain words, then the technical reason, folded.
      const plain = msgs["why_" + m.reason.code];
      if (plain) {
        const p = el("p");
        p.append(el("strong", "", plain));
        card.append(p);
      }
      const d = el("details", "reason");
      d.append(el("summary", "", msgs.details), el("p", "", en ? m.reason.en : m.reason.zh));
      card.append(d);
    }
    if (m.disposed) {
      const d = el("p", "disposed");
      d.append(el("strong", "", en ? m.disposed.en : m.disposed.zh));
      card.append(d);
    }
    out.append(card);
  }

  form.addEventListener("submit", async (ev) => {
    const file = document.getElementById("file").files[0];
    const receiptFile = document.getElementById("receipt").files[0];
    if (!file && !receiptFile) return; // the server says what is missing
    ev.preventDefault();
    const server = document.getElementById("server-result");
    if (server) server.remove();
    // data-state says when the answer is final ("done"), for people's
    // assistive tools (aria-busy) and for the browser tests.
    out.dataset.state = "busy";
    out.setAttribute("aria-busy", "true");
    try {
      await check(file, receiptFile);
    } catch (e) {
      say((msgs.error || "") + " (" + e.message + ")", "bad");
    }
    out.dataset.state = "done";
    out.setAttribute("aria-busy", "false");
  });

  async function check(file, receiptFile) {
    {
      const key = parseKey(form.dataset.key);
      let fileHex = null;
      if (file) {
        say(msgs.hashing);
        fileHex = hex(await subtle.digest("SHA-256", await file.arrayBuffer()));
      }
      if (receiptFile) {
        const r = JSON.parse(await receiptFile.text());
        const res = await checkReceipt(r, key, fileHex);
        const box = say(res.ok ? msgs.ok : msgs.no, res.ok ? "good" : "bad");
        if (fileHex) box.append(el("p", "mono", "SHA-256 " + fileHex));
        let rec = {};
        try { rec = JSON.parse(r.record || "{}"); } catch (e) { rec = {}; }
        showMatch({ record: rec.id || "", version: rec.version || "", title: rec.title || "", date: rec.date || "", verified: true }, res);
        return;
      }
      say(msgs.looking);
      const resp = await fetch("/verify/sha256/" + fileHex, { headers: { Accept: "application/json" } });
      if (resp.status === 503) {
        // Nothing was decided: the server says when to ask again.
        const box = say(msgs.busy);
        box.append(el("p", "mono", "SHA-256 " + fileHex));
        return;
      }
      if (!resp.ok) throw new Error("lookup " + resp.status);
      const body = await resp.json();
      if (!body.matches.length) {
        const box = say(msgs.unknown, "bad");
        box.append(el("p", "", msgs.unknown_help));
        box.append(el("p", "mono", "SHA-256 " + fileHex));
        return;
      }
      // The server's verdict on each record version, and for each verified one
      // the receipt checked again here: the server is not trusted, the key is.
      const results = [];
      for (const m of body.matches) results.push(m.receipt ? await checkReceipt(m.receipt, key, fileHex) : null);
      const any = body.matches.some((m, i) => m.verified && results[i] !== null && results[i].ok);
      const box = say(any ? msgs.ok : msgs.no, any ? "good" : "bad");
      box.append(el("p", "mono", "SHA-256 " + fileHex));
      body.matches.forEach((m, i) => showMatch(m, results[i]));
    }
  }
})();
