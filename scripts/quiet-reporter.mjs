// The test reporter `node scripts/run-tests.mjs` (and so `npm test`) uses by default: quiet when
// things pass, complete when they fail. Node's tap reporter prints every test (thousands of
// lines), spec most of them; this prints
//   - one line per test file once it is done: ✔ or ✖, its counts, its time;
//   - every failure in full as it happens: file, suite › test, the error with its stack
//     (and, with the file's line, whatever that file printed on stdout/stderr);
//   - the skipped tests with their reasons (a missing tool, say), one line each;
//   - last, one summary line a CI log can grep:
//       tests 1234 | pass 1230 | fail 0 | cancelled 0 | skipped 4 | todo 0 | duration 312.4s
// The exit status is node --test's own (non-zero when anything failed), whatever the reporter.
// Full output: `node scripts/run-tests.mjs --verbose ...` or TEST_REPORTER=tap|spec|dot.
import { relative } from 'node:path';
import { inspect } from 'node:util';

const useColor = process.stdout.isTTY === true && !('NO_COLOR' in process.env);
const paint = (code, text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
const red = (t) => paint(31, t);
const green = (t) => paint(32, t);
const yellow = (t) => paint(33, t);

/** Per test file: counts, the names of the tests now open (by nesting), output kept for a failure. */
function newFile() {
  return { pass: 0, fail: 0, skip: 0, todo: 0, open: [], output: [], reported: false };
}

const indent = (text, by = '    ') => text.replace(/^/gm, by);

/** The error a test failed with, with its stack: the test runner wraps it (ERR_TEST_FAILURE, cause). */
function describeError(error) {
  if (error === undefined || error === null) return '(no error given)';
  const inner = error.code === 'ERR_TEST_FAILURE' && error.cause !== undefined ? error.cause : error;
  return inspect(inner, { depth: 6, colors: false, breakLength: 100 });
}

export default async function* quietReporter(source) {
  const files = new Map();
  const skipped = [];
  const totals = {};
  const fileOf = (data) => {
    const name = data.file === undefined ? '(no file)' : relative(process.cwd(), data.file);
    let file = files.get(name);
    if (file === undefined) files.set(name, (file = newFile()));
    return [name, file];
  };
  const fileLine = (name, file, ms) => {
    const counts = [`${file.pass} passed`];
    if (file.fail > 0) counts.push(red(`${file.fail} failed`));
    if (file.skip > 0) counts.push(yellow(`${file.skip} skipped`));
    if (file.todo > 0) counts.push(`${file.todo} todo`);
    const time = ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)}s)`;
    let line = `${file.fail > 0 ? red('✖') : green('✔')} ${name}  ${counts.join(', ')}${time}\n`;
    if (file.fail > 0 && file.output.length > 0) line += indent(`output of ${name}:\n${file.output.join('').replace(/\n$/, '')}`, '  ') + '\n';
    file.reported = true;
    return line;
  };

  for await (const event of source) {
    const data = event.data ?? {};
    switch (event.type) {
      case 'test:start': {
        if (data.file === undefined) break;
        const [, file] = fileOf(data);
        file.open[data.nesting] = data.name;
        file.open.length = data.nesting + 1;
        break;
      }
      case 'test:pass':
      case 'test:fail': {
        if (data.details?.type === 'suite') break; // a suite's outcome is its tests'
        const [name, file] = fileOf(data);
        if (event.type === 'test:pass') {
          if (data.skip !== undefined) {
            file.skip++;
            skipped.push(`${name} › ${[...file.open.slice(0, data.nesting), data.name].join(' › ')}${typeof data.skip === 'string' ? `: ${data.skip}` : ''}`);
          } else if (data.todo !== undefined) {
            file.todo++;
          } else {
            file.pass++;
          }
          break;
        }
        if (data.details?.error?.failureType === 'subtestsFailed') break; // reported with the subtest
        file.fail++;
        const path = [...file.open.slice(0, data.nesting), data.name].join(' › ');
        yield `${red('✖ FAIL')} ${name} › ${path}\n${indent(describeError(data.details?.error))}\n\n`;
        break;
      }
      case 'test:complete': {
        // Node 20 wraps each file in a test named by its path: its end is the file's end (and a
        // file that crashed outside any test fails here).
        if (data.file === undefined || data.nesting !== 0 || data.name !== data.file) break;
        const [name, file] = fileOf(data);
        const error = data.details?.error;
        if (error !== undefined && error.failureType !== 'subtestsFailed') {
          file.fail++;
          yield `${red('✖ FAIL')} ${name} (the file itself)\n${indent(describeError(error))}\n\n`;
        }
        yield fileLine(name, file, data.details?.duration_ms);
        break;
      }
      case 'test:stdout':
      case 'test:stderr': {
        if (data.file !== undefined) fileOf(data)[1].output.push(data.message);
        else yield data.message;
        break;
      }
      case 'test:diagnostic': {
        // The run's totals come as top-level diagnostics: "tests 12", "pass 11", "duration_ms 80.1".
        const m = data.file === undefined && data.nesting === 0 ? /^(\w+) ([\d.]+)$/.exec(data.message) : null;
        if (m !== null) totals[m[1]] = Number(m[2]);
        break;
      }
      default:
        break;
    }
  }
  // Files that never got an end event of their own (later Node versions report no file test).
  for (const [name, file] of files) if (!file.reported && name !== '(no file)') yield fileLine(name, file);
  if (skipped.length > 0) yield `\n${yellow(`skipped (${skipped.length}):`)}\n${skipped.map((s) => `  - ${s}\n`).join('')}`;
  const n = (key) => totals[key] ?? 0;
  const failed = n('fail') > 0 || n('cancelled') > 0;
  const summary = `tests ${n('tests')} | pass ${n('pass')} | fail ${n('fail')} | cancelled ${n('cancelled')} | ` +
    `skipped ${n('skipped')} | todo ${n('todo')} | duration ${(n('duration_ms') / 1000).toFixed(1)}s`;
  yield `\n${failed ? red(summary) : green(summary)}\n`;
}
