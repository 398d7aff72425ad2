import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

const PIPELINE = 'id name isDefault version deletedAt stages { id name position probability kind pipeline { id } }';

let t: TestApp;
let admin: Session;

beforeAll(async () => {
  t = await TestApp.start('pipelines');
  admin = await t.signUp();
});
afterAll(() => t.stop());

const open = (name: string, probability = 20) => ({ name, probability, kind: 'OPEN' });
const WON = { name: 'Won', probability: 100, kind: 'WON' };
const LOST = { name: 'Lost', probability: 0, kind: 'LOST' };

const createPipeline = (input: Record<string, unknown>, who: Session = admin) =>
  t.gql(`mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { ${PIPELINE} } }`, { input }, who);

async function newPipeline(name: string, stages = [open('A'), open('B'), WON, LOST]) {
  const result = await createPipeline({ name, stages });
  expect(result.errors).toBeUndefined();
  return result.data!.createPipeline;
}

const defaultPipeline = async () =>
  (await t.ok(`{ pipelines(filter: { isDefault: { eq: true } }) { edges { node { id name } } } }`, {}, admin)).pipelines.edges.map(
    (e: any) => e.node,
  );

const pipelineCount = async () => (await t.ok(`{ pipelines(withDeleted: true) { totalCount } }`, {}, admin)).pipelines.totalCount;

const stageNames = async (pipelineId: string): Promise<string[]> =>
  (await t.ok(`query($id: ID!) { pipeline(id: $id) { stages { name position } } }`, { id: pipelineId }, admin)).pipeline.stages.map(
    (s: { name: string; position: number }, i: number) => {
      expect(s.position).toBe(i);
      return s.name;
    },
  );

const createDeal = async (input: Record<string, unknown>) =>
  (await t.ok(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id version } }`, { input }, admin)).createDeal;

describe('pipelines', () => {
  test('every workspace starts with the default Sales pipeline', async () => {
    const data = await t.ok(`{ pipelines { totalCount edges { node { ${PIPELINE} } } } }`, {}, admin);
    expect(data.pipelines.totalCount).toBe(1);
    const sales = data.pipelines.edges[0].node;
    expect(sales).toMatchObject({ name: 'Sales', isDefault: true, version: 1 });
    expect(sales.id).toMatch(/^pip_[0-9a-f]{32}$/);
    expect(sales.stages.map((s: any) => [s.name, s.position, s.probability, s.kind])).toEqual([
      ['Research', 0, 5, 'OPEN'],
      ['Qualification', 1, 15, 'OPEN'],
      ['Needs analysis', 2, 30, 'OPEN'],
      ['Proposal', 3, 50, 'OPEN'],
      ['Negotiation / contract', 4, 75, 'OPEN'],
      ['Won', 5, 100, 'WON'],
      ['Lost', 6, 0, 'LOST'],
    ]);
    expect(sales.stages.every((s: any) => s.pipeline.id === sales.id)).toBe(true);

    const stage = sales.stages[0];
    const read = await t.ok(
      `query($id: ID!, $stage: ID!) { pipeline(id: $id) { name } stage(id: $stage) { name pipeline { name } } node(id: $stage) { id ... on Stage { kind } } }`,
      { id: sales.id, stage: stage.id },
      admin,
    );
    expect(read).toEqual({ pipeline: { name: 'Sales' }, stage: { name: 'Research', pipeline: { name: 'Sales' } }, node: { id: stage.id, kind: 'OPEN' } });
  });

  test('creation keeps the stage order and validates the stage list, writing nothing on bad input', async () => {
    const pipeline = await newPipeline('Partners', [open('Intro', 10), WON, open('Pilot', 60), LOST]);
    expect(pipeline).toMatchObject({ name: 'Partners', isDefault: false, version: 1 });
    expect(pipeline.stages.map((s: any) => [s.name, s.position, s.kind])).toEqual([
      ['Intro', 0, 'OPEN'],
      ['Won', 1, 'WON'],
      ['Pilot', 2, 'OPEN'],
      ['Lost', 3, 'LOST'],
    ]);

    const before = await pipelineCount();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'X', stages: [] }, 'stages'],
      [{ name: 'X', stages: Array.from({ length: 31 }, (_, i) => open(`S${i}`)) }, 'stages'],
      [{ name: 'X', stages: [WON, LOST] }, 'stages'],
      [{ name: 'X', stages: [open('A'), LOST] }, 'stages'],
      [{ name: 'X', stages: [open('A'), WON, { ...WON, name: 'Won again' }, LOST] }, 'stages'],
      [{ name: 'X', stages: [open('A'), WON] }, 'stages'],
      [{ name: 'X', stages: [open('A', 101), WON, LOST] }, 'stages.0.probability'],
      [{ name: 'X', stages: [open('A'), { ...WON, name: '' }, LOST] }, 'stages.1.name'],
      [{ name: 'X', stages: [open('A'), { ...WON, kind: 'MAYBE' }, LOST] }, 'kind'],
      [{ name: '', stages: [open('A'), WON, LOST] }, 'name'],
      [{ name: 'x'.repeat(101), stages: [open('A'), WON, LOST] }, 'name'],
      [{ name: 'X', isDefault: null, stages: [open('A'), WON, LOST] }, 'isDefault'],
    ];
    for (const [input, field] of cases) {
      const result = await createPipeline(input);
      expect({ input, code: errorCode(result) }).toEqual({ input, code: 'BAD_USER_INPUT' });
      expect(errorFields(result).join(',')).toContain(field);
    }
    expect(await pipelineCount()).toBe(before);
  });

  test('making a pipeline the default takes the flag from the previous default', async () => {
    const [sales] = await defaultPipeline();
    const second = (await createPipeline({ name: 'Renewals', isDefault: true, stages: [open('Due'), WON, LOST] })).data!.createPipeline;
    expect(second.isDefault).toBe(true);
    expect(await defaultPipeline()).toEqual([{ id: second.id, name: 'Renewals' }]);
    const formerDefault = await t.ok(`query($id: ID!) { pipeline(id: $id) { isDefault version } }`, { id: sales.id }, admin);
    expect(formerDefault.pipeline).toEqual({ isDefault: false, version: 2 });

    const back = await t.ok(
      `mutation($id: ID!) { updatePipeline(id: $id, input: { isDefault: true, name: "Sales EMEA" }, expectedVersion: 2) { isDefault name version } }`,
      { id: sales.id },
      admin,
    );
    expect(back.updatePipeline).toEqual({ isDefault: true, name: 'Sales EMEA', version: 3 });
    expect(await defaultPipeline()).toEqual([{ id: sales.id, name: 'Sales EMEA' }]);

    const cleared = await t.gql(`mutation($id: ID!) { updatePipeline(id: $id, input: { isDefault: false }) { id } }`, { id: sales.id }, admin);
    expect(errorCode(cleared)).toBe('BAD_USER_INPUT');
    expect(errorFields(cleared)).toEqual(['isDefault']);

    const stale = await t.gql(`mutation($id: ID!) { updatePipeline(id: $id, input: { isDefault: true }, expectedVersion: 1) { id } }`, { id: second.id }, admin);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(2);
    expect(await defaultPipeline()).toEqual([{ id: sales.id, name: 'Sales EMEA' }]);
  });

  test('delete is refused for the default pipeline and while open deals remain; restore brings it back', async () => {
    const [sales] = await defaultPipeline();
    const refusedDefault = await t.gql(`mutation($id: ID!) { deletePipeline(id: $id) { id } }`, { id: sales.id }, admin);
    expect(errorCode(refusedDefault)).toBe('CONFLICT');

    const pipeline = await newPipeline('Events');
    const deal = await createDeal({ name: 'Booth', pipelineId: pipeline.id });
    const refusedOpen = await t.gql(`mutation($id: ID!) { deletePipeline(id: $id) { id } }`, { id: pipeline.id }, admin);
    expect(errorCode(refusedOpen)).toBe('CONFLICT');

    const trashedOpen = await createDeal({ name: 'Trashed booth', pipelineId: pipeline.id });
    await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: trashedOpen.id }, admin);
    await t.ok(`mutation($id: ID!) { winDeal(id: $id) { status } }`, { id: deal.id }, admin);
    const deleted = await t.ok(`mutation($id: ID!) { deletePipeline(id: $id) { deletedAt version } }`, { id: pipeline.id }, admin);
    expect(deleted.deletePipeline.deletedAt).not.toBeNull();
    const listed = await t.ok(`{ live: pipelines(search: "even") { totalCount } all: pipelines(search: "even", withDeleted: true) { totalCount } }`, {}, admin);
    expect(listed).toEqual({ live: { totalCount: 0 }, all: { totalCount: 1 } });

    const reopen = await t.gql(`mutation($id: ID!, $stage: ID!) { moveDeal(id: $id, stageId: $stage) { id } }`, { id: deal.id, stage: pipeline.stages[0].id }, admin);
    expect(errorCode(reopen)).toBe('CONFLICT');
    const intoTrash = await t.gql(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'No', pipelineId: pipeline.id } }, admin);
    expect(errorCode(intoTrash)).toBe('BAD_USER_INPUT');
    expect(errorFields(intoTrash)).toEqual(['pipelineId']);

    const openIntoTrash = await t.gql(`mutation($id: ID!) { restoreDeal(id: $id) { id } }`, { id: trashedOpen.id }, admin);
    expect(errorCode(openIntoTrash)).toBe('CONFLICT');

    const restored = await t.ok(`mutation($id: ID!) { restorePipeline(id: $id) { deletedAt version isDefault } }`, { id: pipeline.id }, admin);
    expect(restored.restorePipeline).toEqual({ deletedAt: null, version: 3, isDefault: false });
    const reopened = await t.ok(`mutation($id: ID!) { restoreDeal(id: $id) { deletedAt status } }`, { id: trashedOpen.id }, admin);
    expect(reopened.restoreDeal).toEqual({ deletedAt: null, status: 'OPEN' });
  });

  test('addStage inserts at a position and shifts the later stages; kinds stay unique', async () => {
    const pipeline = await newPipeline('Growth');
    const added = await t.ok(
      `mutation($id: ID!) { addStage(pipelineId: $id, input: { name: "Demo", probability: 40, kind: OPEN, position: 1 }) { name position kind pipeline { id } } }`,
      { id: pipeline.id },
      admin,
    );
    expect(added.addStage).toEqual({ name: 'Demo', position: 1, kind: 'OPEN', pipeline: { id: pipeline.id } });
    await t.ok(`mutation($id: ID!) { addStage(pipelineId: $id, input: { name: "Last", probability: 90, kind: OPEN }) { id } }`, { id: pipeline.id }, admin);
    expect(await stageNames(pipeline.id)).toEqual(['A', 'Demo', 'B', 'Won', 'Lost', 'Last']);
    const shifted = await t.ok(`query($id: ID!) { stage(id: $id) { position version } }`, { id: pipeline.stages[1].id }, admin);
    expect(shifted.stage).toEqual({ position: 2, version: 2 });

    const secondWon = await t.gql(`mutation($id: ID!) { addStage(pipelineId: $id, input: { name: "Won 2", probability: 100, kind: WON }) { id } }`, { id: pipeline.id }, admin);
    expect(errorCode(secondWon)).toBe('BAD_USER_INPUT');
    expect(errorFields(secondWon)).toEqual(['kind']);
    const tooFar = await t.gql(`mutation($id: ID!) { addStage(pipelineId: $id, input: { name: "Far", probability: 1, kind: OPEN, position: 7 }) { id } }`, { id: pipeline.id }, admin);
    expect(errorFields(tooFar)).toEqual(['position']);
    const negative = await t.gql(`mutation($id: ID!) { addStage(pipelineId: $id, input: { name: "Neg", probability: 1, kind: OPEN, position: -1 }) { id } }`, { id: pipeline.id }, admin);
    expect(errorFields(negative)).toEqual(['position']);
    const wrongId = await t.gql(`mutation($id: ID!) { addStage(pipelineId: $id, input: { name: "X", probability: 1, kind: OPEN }) { id } }`, { id: pipeline.stages[0].id }, admin);
    expect(errorFields(wrongId)).toEqual(['pipelineId']);
    expect(await stageNames(pipeline.id)).toEqual(['A', 'Demo', 'B', 'Won', 'Lost', 'Last']);
  });

  test('a pipeline holds at most 30 stages', async () => {
    const stages = [...Array.from({ length: 28 }, (_, i) => open(`S${i}`)), WON, LOST];
    const pipeline = await newPipeline('Long', stages);
    expect(pipeline.stages).toHaveLength(30);
    const full = await t.gql(`mutation($id: ID!) { addStage(pipelineId: $id, input: { name: "One more", probability: 1, kind: OPEN }) { id } }`, { id: pipeline.id }, admin);
    expect(errorCode(full)).toBe('CONFLICT');
    expect((await stageNames(pipeline.id))).toHaveLength(30);
  });

  test('updateStage changes name and probability, never the kind', async () => {
    const pipeline = await newPipeline('Edits');
    const stage = pipeline.stages[0];
    const updated = await t.ok(
      `mutation($id: ID!) { updateStage(id: $id, input: { name: "Discovery", probability: 25 }, expectedVersion: 1) { name probability kind version } }`,
      { id: stage.id },
      admin,
    );
    expect(updated.updateStage).toEqual({ name: 'Discovery', probability: 25, kind: 'OPEN', version: 2 });
    const kind = await t.gql(`mutation($id: ID!) { updateStage(id: $id, input: { kind: WON }) { id } }`, { id: stage.id }, admin);
    expect(errorCode(kind)).toBe('BAD_USER_INPUT');
    expect(errorFields(kind)).toEqual(['kind']);
    const bad = await t.gql(`mutation($id: ID!) { updateStage(id: $id, input: { probability: -1 }) { id } }`, { id: stage.id }, admin);
    expect(errorFields(bad)).toEqual(['probability']);
    const stale = await t.gql(`mutation($id: ID!) { updateStage(id: $id, input: { name: "Old" }, expectedVersion: 1) { id } }`, { id: stage.id }, admin);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(2);
  });

  test('deleteStage refuses stages with live deals and the last stage of a kind, and closes the gap', async () => {
    const pipeline = await newPipeline('Cleanup', [open('A'), open('B'), open('C'), WON, LOST]);
    const [a, b, c, won, lost] = pipeline.stages;
    const deal = await createDeal({ name: 'Holding B', pipelineId: pipeline.id, stageId: b.id });
    const del = (id: string) => t.gql(`mutation($id: ID!) { deleteStage(id: $id) { id deletedAt } }`, { id }, admin);

    expect(errorCode(await del(b.id))).toBe('CONFLICT');
    expect(errorCode(await del(won.id))).toBe('CONFLICT');
    expect(errorCode(await del(lost.id))).toBe('CONFLICT');

    await t.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deal.id }, admin);
    expect((await del(b.id)).data!.deleteStage.deletedAt).not.toBeNull();
    expect(await stageNames(pipeline.id)).toEqual(['A', 'C', 'Won', 'Lost']);
    expect((await del(a.id)).errors).toBeUndefined();
    expect(errorCode(await del(c.id))).toBe('CONFLICT');
    expect(errorCode(await del(a.id))).toBe('NOT_FOUND');
    expect(await stageNames(pipeline.id)).toEqual(['C', 'Won', 'Lost']);
    const trashed = await t.ok(`query($id: ID!) { stage(id: $id) { name deletedAt } }`, { id: b.id }, admin);
    expect(trashed.stage.deletedAt).not.toBeNull();
  });

  test('reorderStages takes exactly the live stages and sets positions in that order', async () => {
    const pipeline = await newPipeline('Order', [open('A'), open('B'), open('C'), WON, LOST]);
    const ids = pipeline.stages.map((s: any) => s.id);
    const [a, b, c, won, lost] = ids;
    const reorder = (stageIds: string[]) =>
      t.gql(`mutation($id: ID!, $ids: [ID!]!) { reorderStages(pipelineId: $id, stageIds: $ids) { stages { name position } } }`, { id: pipeline.id, ids: stageIds }, admin);

    const done = await reorder([c, a, b, lost, won]);
    expect(done.data!.reorderStages.stages.map((s: any) => s.name)).toEqual(['C', 'A', 'B', 'Lost', 'Won']);
    expect(await stageNames(pipeline.id)).toEqual(['C', 'A', 'B', 'Lost', 'Won']);

    const other = (await defaultPipeline())[0].id;
    const otherStage = (await t.ok(`query($id: ID!) { pipeline(id: $id) { stages { id } } }`, { id: other }, admin)).pipeline.stages[0].id;
    for (const wrong of [[a, b, c, won], [a, b, c, won, lost, a], [a, b, c, won, otherStage], [a, a, c, won, lost]]) {
      const result = await reorder(wrong);
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(errorFields(result)).toEqual(['stageIds']);
    }
    const wrongType = await reorder([a, b, c, won, pipeline.id]);
    expect(errorFields(wrongType)).toEqual(['stageIds.4']);
    expect(await stageNames(pipeline.id)).toEqual(['C', 'A', 'B', 'Lost', 'Won']);
  });

  test('Pipeline.stages loads for a whole page in one query', async () => {
    const query = `{ pipelines(first: 50) { edges { node { name stages { name pipeline { name } } } } } }`;
    await t.ok(query, {}, admin);
    const before = t.statements;
    const data = await t.ok(query, {}, admin);
    const used = t.statements - before;
    expect(data.pipelines.edges.length).toBeGreaterThan(5);
    expect(used).toBeLessThanOrEqual(6);
  });

  test('only roles that manage pipelines may change them; ordering and filters work', async () => {
    const sales = await t.member(admin, 'SALES');
    const refused = await createPipeline({ name: 'Mine', stages: [open('A'), WON, LOST] }, sales);
    expect(errorCode(refused)).toBe('FORBIDDEN');
    const readable = await t.ok(`{ pipelines { totalCount } }`, {}, sales);
    expect(readable.pipelines.totalCount).toBeGreaterThan(1);

    const names = async (orderBy: unknown, filter: unknown = null) =>
      (await t.ok(`query($o: [PipelineOrder!], $f: PipelineFilter) { pipelines(orderBy: $o, filter: $f, first: 200) { edges { node { name } } } }`, { o: orderBy, f: filter }, admin)).pipelines.edges.map(
        (e: any) => e.node.name,
      );
    const byName = await names([{ field: 'NAME', direction: 'ASC' }]);
    expect(byName).toEqual([...byName].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    expect(await names([{ field: 'NAME', direction: 'DESC' }])).toEqual([...byName].reverse());
    const byCreation = await names([{ field: 'CREATED_AT', direction: 'ASC' }]);
    expect(byCreation[0]).toBe('Sales EMEA');
    expect(await names([{ field: 'CREATED_AT', direction: 'DESC' }])).toEqual([...byCreation].reverse());
    expect(await names(null, { name: { startsWith: 'ren' } })).toEqual(['Renewals']);
    expect(await names(null, { isDefault: { eq: true } })).toEqual(['Sales EMEA']);
    expect(await names(null, { createdAt: { gt: new Date(Date.now() + 60_000).toISOString() } })).toEqual([]);
  });
});
