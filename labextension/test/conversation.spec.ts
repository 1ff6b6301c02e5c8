import { IRunTranscript, isTranscript } from '../src/schema';
import { planHeading, planLines, threadLine } from '../src/view';
import { fixture } from './fixture';

const run = fixture as unknown as IRunTranscript;

describe('a follow-up with instructions and a plan', () => {
  it('names the run it follows up and its place in the conversation', () => {
    expect(run.parent).toBe(run.thread?.runs[0].id);
    expect(threadLine(run)).toBe(`↳ follows up run ${run.parent} (Set x.) · run 2 of this conversation`);
  });

  it('counts the earlier runs the thread only remembers as a number', () => {
    const long = { ...run, thread: { runs: run.thread!.runs, omitted: 7 } };
    expect(threadLine(long)).toContain('run 9 of this conversation');
  });

  it('shows the plan as a checklist with its revision', () => {
    expect(planHeading(run.plan!)).toBe('Plan · 3/3 done · revision 2');
    expect(planLines(run.plan!)).toEqual(['☑ 1. Look at x', '☑ 2. Show a picture', '☑ 3. Answer without dividing']);
  });

  it('marks the current item and a plan the user edited', () => {
    const plan = {
      items: [
        { text: 'load', state: 'done' as const },
        { text: 'count', state: 'doing' as const },
        { text: 'answer', state: 'todo' as const }
      ],
      by: 'user' as const
    };
    expect(planHeading(plan)).toBe('Plan · 1/3 done · edited by you');
    expect(planLines(plan)).toEqual(['☑ 1. load', '▶ 2. count', '☐ 3. answer']);
  });

  it('carries the standing instructions and where they came from', () => {
    expect(run.instructions?.sources).toEqual(['%config AutoGPTMagics.instructions']);
    expect(run.instructions?.text).toContain('Answer in one line.');
  });
});

describe('an older transcript without a conversation', () => {
  const { parent, thread, instructions, plan, ...old } = run;

  it('is still a transcript, with no thread line', () => {
    expect([parent, thread, instructions, plan].every(x => x !== undefined)).toBe(true);
    expect(isTranscript(old)).toBe(true);
    expect(threadLine(old as IRunTranscript)).toBeNull();
  });
});
