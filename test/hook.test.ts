import { hook } from '../src/kernel/hook';

test('a hook nobody filled throws its message; once filled it answers', () => {
  const counts = hook<() => number>('nobody counts');
  expect(() => counts.get()).toThrow('nobody counts');
  counts.fill(() => 7);
  expect(counts.get()()).toBe(7);
});
