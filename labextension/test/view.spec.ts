import { replyProse, splitFences, splitThinking } from '../src/reply';
import { IOutput } from '../src/schema';
import { outputText } from '../src/view';

describe('outputText', () => {
  it('keeps a traceback on separate lines (nbformat lines carry no newline)', () => {
    const error: IOutput = {
      output_type: 'error',
      ename: 'ZeroDivisionError',
      evalue: 'division by zero',
      traceback: ['Traceback (most recent call last):', '  File "<cell>", line 1', 'ZeroDivisionError: division by zero']
    };
    expect(outputText(error)).toBe(
      'Traceback (most recent call last):\n  File "<cell>", line 1\nZeroDivisionError: division by zero'
    );
  });

  it('joins stream and display pieces as they are (they end in their own newlines)', () => {
    expect(outputText({ output_type: 'stream', name: 'stdout', text: ['a\n', 'b\n'] })).toBe('a\nb\n');
    expect(outputText({ output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {} })).toBe('42');
  });
});

describe('replyProse', () => {
  it.each([
    ['backticks', 'Look at it.\n```python\nprint(1 + 1)\n```\nThen decide.'],
    ['tildes', 'Look at it.\n~~~python\nprint(1 + 1)\n~~~\nThen decide.'],
    ['four backticks around three', 'Look at it.\n````py\nprint("```")\n````\nThen decide.']
  ])('strips the code block fenced with %s, as the kernel does', (_, reply) => {
    expect(replyProse(reply)).toBe('Look at it.\n\nThen decide.');
  });

  it('keeps a reply without Python code whole (an answer may quote other fences)', () => {
    expect(replyProse('  The output:\n```text\n42\n```\n')).toBe('The output:\n```text\n42\n```');
    expect(replyProse('Empty.\n```python\n\n```')).toBe('Empty.\n```python\n\n```');
  });

  it('reads an unclosed block to the end of the reply', () => {
    expect(splitFences('a\n```python\nx = 1')).toEqual([
      { info: null, body: 'a\n', closed: true },
      { info: 'python', body: 'x = 1', closed: false }
    ]);
    expect(replyProse('a\n```python\nx = 1')).toBe('a');
  });
});

describe('splitThinking', () => {
  const draft = 'wipe_everything()';
  it.each([
    ['a think block with drafted code', `<think>Maybe\n\`\`\`python\n${draft}\n\`\`\`\nNo.</think>\nI count rows.`],
    ['two blocks in a row', `<think>first ${draft}</think><thinking>second</thinking>\nI count rows.`],
    ['a closing tag the template opened', `It needs ${draft}.\n</think>\nI count rows.`],
    ['begin/end of thought', `<|begin_of_thought|>${draft}<|end_of_thought|>\nI count rows.`],
    ['upper-case tags', `<THINK>${draft}</THINK>\nI count rows.`]
  ])('keeps %s out of the prose, as the kernel does', (_, reply) => {
    const [thinking] = splitThinking(reply);
    expect(thinking).toContain(draft);
    expect(replyProse(reply)).toBe('I count rows.');
  });

  it('takes a reply cut off while thinking for thinking only', () => {
    expect(splitThinking(`<think>still ${draft}`)).toEqual([`still ${draft}`, '']);
    expect(replyProse(`<think>still ${draft}`)).toBe('');
  });

  it('leaves a closing tag inside a code block alone', () => {
    const reply = 'Print it.\n```python\nprint("</think>")\n```';
    expect(splitThinking(reply)).toEqual(['', reply]);
  });
});
