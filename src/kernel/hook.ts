/**
 * A question one module asks and another answers, where the answering module depends on the
 * asking one (so the asker cannot import it): the asker offers the hook, the answerer fills it
 * when its face loads. Asking an unfilled hook throws `unfilled`, so a process that never
 * loaded the answering module fails loudly instead of going on without the answer.
 */
export interface Hook<T> {
  fill(answer: T): void;
  get(): T;
}

export function hook<T>(unfilled: string): Hook<T> {
  let answer: T | undefined;
  return {
    fill: (value) => {
      answer = value;
    },
    get: () => {
      if (answer === undefined) throw new Error(unfilled);
      return answer;
    },
  };
}
