// folio's search page: results as the reader types, the query in the URL,
// a note view with the quote marked. No framework, nothing from elsewhere.
'use strict';

const $ = (selector) => document.querySelector(selector);
const box = $('#q');
const list = $('#results');
const status = $('#status');
const more = $('#more');
const searchView = $('#search-view');
const noteView = $('#note');
const FILTERS = ['author', 'year', 'tag', 'page'];
const PAGE = 20;

let inFlight = null; // AbortController of the running search
let timer = null;
let shown = 0;

const mode = () => document.querySelector('input[name=mode]:checked').value;

// The form as URL parameters: what the address bar holds.
function formParams() {
  const p = new URLSearchParams();
  if (box.value.trim()) p.set('q', box.value);
  if (mode() === 'notes') p.set('mode', 'notes');
  for (const name of FILTERS) {
    const value = $('#' + name).value.trim();
    if (value && !(name === 'page' && mode() === 'notes')) p.set(name, value);
  }
  return p;
}

function fillForm(p) {
  box.value = p.get('q') || '';
  const m = p.get('mode') === 'notes' ? 'notes' : 'quotes';
  document.querySelector(`input[name=mode][value=${m}]`).checked = true;
  let filtered = false;
  for (const name of FILTERS) {
    $('#' + name).value = p.get(name) || '';
    filtered ||= Boolean(p.get(name));
  }
  if (filtered) $('#filters').open = true;
  $('#page-filter').hidden = m === 'notes';
}

// Text with its highlighted character ranges in <mark>; never innerHTML.
function marked(text, ranges) {
  const chars = Array.from(text);
  const out = document.createDocumentFragment();
  let at = 0;
  for (const [start, end] of ranges || []) {
    if (start > at) out.append(chars.slice(at, start).join(''));
    const mark = document.createElement('mark');
    mark.textContent = chars.slice(start, end).join('');
    out.append(mark);
    at = end;
  }
  out.append(chars.slice(at).join(''));
  return out;
}

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== ''));
  return node;
}

function book(titles, authors, year) {
  let line = titles && titles.length ? titles[0].text : '';
  if (authors && authors.length) line += ' — ' + authors.join(', ');
  if (year) line += ` (${year})`;
  return line;
}

function where(reference) {
  return reference ? el('span', 'where', reference.display) : null;
}

function hitItem(hit) {
  const link = document.createElement('a');
  link.className = 'hit ' + hit.kind;
  const target = new URLSearchParams(formParams());
  target.set('note', hit.kind === 'quote' ? hit.note_id : hit.id);
  if (hit.kind === 'quote') target.set('quote', hit.id);
  link.href = '?' + target;
  link.dataset.note = target.get('note');
  link.dataset.quote = target.get('quote') || '';
  if (hit.kind === 'quote') {
    link.append(el('p', 'text', marked(hit.text, hit.highlights)));
    const meta = el('p', 'meta', book(hit.note.titles, hit.note.authors, hit.note.year));
    if (hit.reference) meta.append(' · ', where(hit.reference));
    link.append(meta);
    if (hit.note_text) link.append(el('p', 'reader-note', 'Note: ' + hit.note_text));
  } else {
    link.append(el('p', 'meta', el('strong', null, book(hit.titles, hit.authors, hit.year) || hit.name)));
    const text = el('p', 'text', marked(hit.snippet.text, hit.snippet.highlights));
    if (hit.reference) text.append(' — ', where(hit.reference));
    link.append(text);
  }
  link.addEventListener('click', (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    history.pushState(null, '', link.href);
    route();
  });
  return el('li', null, link);
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(() => search(false), 120);
}

async function search(append) {
  const p = formParams();
  if (!append) history.replaceState(null, '', p.toString() ? '?' + p : location.pathname);
  if (inFlight) inFlight.abort();
  if (!p.get('q')) {
    list.replaceChildren();
    status.textContent = '';
    more.hidden = true;
    return;
  }
  inFlight = new AbortController();
  const api = new URLSearchParams(p);
  api.delete('mode');
  api.set('limit', PAGE);
  api.set('offset', append ? shown : 0);
  const url = (mode() === 'notes' ? '/api/search?' : '/api/quotes?') + api;
  try {
    const response = await fetch(url, { signal: inFlight.signal });
    const body = await response.json();
    if (!response.ok) {
      status.textContent = body.error || `error ${response.status}`;
      if (!append) list.replaceChildren();
      more.hidden = true;
      return;
    }
    const items = body.hits.map(hitItem);
    if (append) list.append(...items); else list.replaceChildren(...items);
    shown = (append ? shown : 0) + body.hits.length;
    const what = mode() === 'notes' ? 'notes' : 'quotes';
    const notice = body.notices.length ? ' · ' + body.notices.join(' · ') : '';
    status.textContent = shown
      ? `${shown} of ${Math.max(body.total, shown)} ${what}${notice}`
      : `No ${what} match “${p.get('q').trim()}”${notice}`;
    more.hidden = shown >= body.total || body.hits.length < PAGE;
  } catch (error) {
    if (error.name !== 'AbortError') status.textContent = 'folio is not answering: ' + error.message;
  }
}

async function openNote(id, quoteId) {
  searchView.hidden = true;
  noteView.hidden = false;
  const body = $('#note-body');
  body.replaceChildren();
  $('#note-title').textContent = '…';
  $('#note-meta').textContent = '';
  const response = await fetch('/api/notes/' + encodeURIComponent(id));
  const note = await response.json();
  if (!response.ok) {
    $('#note-title').textContent = note.error || 'This note is not in the index';
    return;
  }
  $('#note-title').textContent = (note.titles[0] && note.titles[0].text) || note.name;
  $('#note-meta').textContent = [note.authors.join(', '), note.year].filter(Boolean).join(' · ');
  const chars = Array.from(note.body);
  let at = 0;
  let target = null;
  for (const quote of note.quotes) {
    if (quote.start < at) continue;
    body.append(chars.slice(at, quote.start).join(''));
    const mark = el('mark', 'quote', chars.slice(quote.start, quote.end).join(''));
    mark.id = 'quote-' + quote.line;
    if (quote.reference) mark.title = quote.reference.display;
    if (quote.id === quoteId) {
      mark.classList.add('target');
      mark.tabIndex = -1;
      target = mark;
    }
    body.append(mark);
    at = quote.end;
  }
  body.append(chars.slice(at).join(''));
  if (target) {
    target.scrollIntoView({ block: 'center' });
    target.focus({ preventScroll: true });
  } else {
    $('#back').focus();
  }
}

function closeNote() {
  const p = new URLSearchParams(location.search);
  p.delete('note');
  p.delete('quote');
  history.pushState(null, '', p.toString() ? '?' + p : location.pathname);
  route();
}

// Renders what the URL says: a note, or a search.
function route() {
  const p = new URLSearchParams(location.search);
  fillForm(p);
  if (p.get('note')) {
    openNote(p.get('note'), p.get('quote'));
  } else {
    noteView.hidden = true;
    searchView.hidden = false;
    search(false);
  }
}

function hits() {
  return Array.from(list.querySelectorAll('a.hit'));
}

document.addEventListener('keydown', (event) => {
  const typing = ['INPUT', 'TEXTAREA'].includes(document.activeElement.tagName);
  if (event.key === '/' && !typing) {
    event.preventDefault();
    if (!noteView.hidden) closeNote();
    box.focus();
    box.select();
  } else if (event.key === 'Escape' && !noteView.hidden) {
    closeNote();
  } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    if (searchView.hidden) return;
    const all = hits();
    if (!all.length) return;
    const i = all.indexOf(document.activeElement);
    if (document.activeElement === box && event.key === 'ArrowDown') {
      all[0].focus();
    } else if (i >= 0) {
      const next = i + (event.key === 'ArrowDown' ? 1 : -1);
      if (next < 0) box.focus(); else all[Math.min(next, all.length - 1)].focus();
    } else {
      return;
    }
    event.preventDefault();
  }
});

$('#search').addEventListener('submit', (event) => {
  event.preventDefault();
  search(false);
});
$('#search').addEventListener('input', (event) => {
  if (event.target.name === 'mode') $('#page-filter').hidden = mode() === 'notes';
  schedule();
});
more.addEventListener('click', () => search(true));
$('#back').addEventListener('click', closeNote);
window.addEventListener('popstate', route);
route();
