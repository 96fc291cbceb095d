import { describe, expect, it } from 'vitest';
import { assessHealth, parseRequest, type StatusReport } from '../../src/control/protocol.js';
import { LineSplitter, LineTooLongError } from '../../src/control/lines.js';

describe('parseRequest', () => {
  it('accepts each op, with an optional string or number id, ignoring unknown fields', () => {
    expect(parseRequest('{"v":1,"op":"status"}')).toEqual({ ok: true, request: { id: null, op: 'status', stage: null } });
    expect(parseRequest('{"v":1,"id":"a","op":"health","later":true}')).toEqual({ ok: true, request: { id: 'a', op: 'health', stage: null } });
    expect(parseRequest('{"v":1,"id":7,"op":"swap","stage":"/app/new"}')).toEqual({ ok: true, request: { id: 7, op: 'swap', stage: '/app/new' } });
    expect(parseRequest('{"v":1,"op":"swap","stage":null}')).toEqual({ ok: true, request: { id: null, op: 'swap', stage: null } });
    expect(parseRequest('{"v":1,"op":"reload"}')).toMatchObject({ ok: true });
  });

  it.each([
    ['', 'bad-json'],
    ['{"v":1,', 'bad-json'],
    ['null', 'bad-request'],
    ['"status"', 'bad-request'],
    ['[{"v":1,"op":"status"}]', 'bad-request'],
    ['{"op":"status"}', 'bad-request'],
    ['{"v":"1","op":"status"}', 'unsupported-version'],
    ['{"v":2,"op":"status"}', 'unsupported-version'],
    ['{"v":1}', 'unknown-op'],
    ['{"v":1,"op":"STATUS"}', 'unknown-op'],
    ['{"v":1,"op":"reload","stage":"/x"}', 'bad-request'],
    ['{"v":1,"op":"swap","stage":3}', 'bad-request'],
    ['{"v":1,"op":"swap","stage":"a\\u0000b"}', 'bad-request'],
    [`{"v":1,"id":"${'i'.repeat(201)}","op":"status"}`, 'bad-request'],
  ])('refuses %j with %s', (line, code) => {
    const parsed = parseRequest(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.code).toBe(code);
  });

  it('echoes the id in errors found after the id was read, and names what it speaks', () => {
    expect(parseRequest('{"v":9,"id":"x","op":"status"}')).toEqual({
      ok: false,
      id: 'x',
      error: { code: 'unsupported-version', message: 'protocol version 9 is not supported (this hotinit speaks 1)' },
    });
  });
});

describe('assessHealth', () => {
  const report = (generations: StatusReport['generations'], healthy = true): StatusReport => ({
    version: 'x', pid: 1, uptimeMs: 0, healthy, generations, listeners: [], lastSwap: null, lastReload: null, swapInProgress: false,
  });
  it('is healthy when a generation is ready and serving, even mid-swap', () => {
    expect(assessHealth(report([
      { gen: 1, pid: 10, state: 'ready', uptimeMs: 1, serving: true },
      { gen: 2, pid: 11, state: 'starting', uptimeMs: 1, serving: false },
    ]))).toEqual({ healthy: true, reason: null });
  });
  it('names why not', () => {
    expect(assessHealth(report([]))).toEqual({ healthy: false, reason: 'no generation is running' });
    expect(assessHealth(report([{ gen: 1, pid: 10, state: 'exited', uptimeMs: 1, serving: false }])).reason).toBe('no generation is running');
    expect(assessHealth(report([{ gen: 3, pid: 57, state: 'starting', uptimeMs: 1, serving: false }])).reason).toBe('generation 3 (pid 57) is starting');
    expect(assessHealth(report([{ gen: 2, pid: 41, state: 'ready', uptimeMs: 1, serving: false }])).reason).toBe('generation 2 (pid 41) is ready but not serving');
    expect(assessHealth(report([{ gen: 2, pid: 41, state: 'ready', uptimeMs: 1, serving: true }], false)).healthy).toBe(false);
  });
});

describe('LineSplitter', () => {
  it('splits lines across chunks, keeps a UTF-8 character split between reads, drops a trailing CR', () => {
    const splitter = new LineSplitter(100);
    const text = Buffer.from('{"a":"é"}\r\nsecond\nthi');
    const cut = text.indexOf(0xa9); // the second byte of é
    expect(splitter.push(text.subarray(0, cut))).toEqual([]);
    expect(splitter.push(text.subarray(cut))).toEqual(['{"a":"é"}', 'second']);
    expect(splitter.push(Buffer.from('rd\n'))).toEqual(['third']);
    expect(splitter.flush()).toBeNull();
    splitter.push(Buffer.from('last'));
    expect(splitter.flush()).toBe('last');
  });
  it('accepts a line of exactly the cap and refuses one byte more, even before its newline', () => {
    expect(new LineSplitter(8).push(Buffer.from('12345678\n'))).toEqual(['12345678']);
    expect(new LineSplitter(8).push(Buffer.from('12345678\r\n'))).toEqual(['12345678']);
    expect(() => new LineSplitter(8).push(Buffer.from('123456789\n'))).toThrow(LineTooLongError);
    const open = new LineSplitter(8);
    open.push(Buffer.from('12345'));
    expect(() => open.push(Buffer.from('67890'))).toThrow(LineTooLongError);
  });
});
