import { SseMessage, SseParser } from './event-stream';

const parse = (...chunks: string[]): SseMessage[] => {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => [...parser.push(chunk)]);
};

describe(SseParser.name, () => {
  it.each([
    ['LF', 'id: 1\nevent: call.ringing\ndata: {"a":1}\n\n'],
    ['CRLF', 'id: 1\r\nevent: call.ringing\r\ndata: {"a":1}\r\n\r\n'],
    ['CR', 'id: 1\revent: call.ringing\rdata: {"a":1}\r\r'],
    ['no space after the colon', 'id:1\nevent:call.ringing\ndata:{"a":1}\n\n'],
  ])('reads a message whose lines end in %s', (_name, text) => {
    expect(parse(text)).toEqual([{ id: '1', event: 'call.ringing', data: '{"a":1}' }]);
  });

  it('reads the same messages whatever the chunks\' boundaries, a CRLF split between two included', () => {
    const text = ': stream open\r\n\r\nid: 1\r\nevent: a\r\ndata: x\r\n\r\n:\r\n\r\nid: 2\r\ndata: y\r\ndata: z\r\n\r\n';
    const whole = parse(text);
    expect(whole).toEqual([{ id: '1', event: 'a', data: 'x' }, { id: '2', data: 'y\nz' }]);
    for (let cut = 1; cut < text.length; cut++) expect(parse(text.slice(0, cut), text.slice(cut))).toEqual(whole);
    expect(parse(...text.split(''))).toEqual(whole);
  });

  it('skips comments, keeps one leading space only, reads retry, and ignores unknown fields and a NUL in an id', () => {
    expect(parse(':\n\nretry: 2500\n\ndata:  two spaces\nfoo: bar\nid: a\0b\n\n')).toEqual([{ retry: 2500 }, { data: ' two spaces' }]);
  });

  it('never gives a message whose blank line has not come: it was cut off and comes again after resuming', () => {
    expect(parse('id: 1\ndata: {"a":1}\n\nid: 2\ndata: {"a"')).toEqual([{ id: '1', data: '{"a":1}' }]);
  });
});
