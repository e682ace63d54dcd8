/* global document, performance */
// Shows which protocol each resource came over (the browser's own performance entries).
'use strict';
const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
const page = entries[0];
const protocol = page && page.nextHopProtocol ? page.nextHopProtocol : 'unknown';
document.getElementById('protocol').textContent = protocol;
if (protocol === 'h2') document.body.classList.add('h2');
const list = document.getElementById('resources');
for (const e of entries) {
  if (!e) continue;
  const item = document.createElement('li');
  item.textContent = `${e.name.replace(document.location.origin, '')}: ${e.nextHopProtocol || '?'}`;
  list.appendChild(item);
}
document.body.dataset.rendered = 'yes';
