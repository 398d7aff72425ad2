/** The four measured requests, as GraphQL documents both servers accept (the bare one dispatches on operationName). */

export type Target = 'api' | 'bare';

export interface Scenario {
  key: string;
  title: string;
  operationName: string;
  query: string;
  /** Variables of the n-th request of a run; requests rotate over sample data so no single row stays hot. */
  variables(n: number, target: Target): Record<string, unknown>;
  /** Writes produce fresh ids and times, so only the shape of the two answers can match. */
  writes: boolean;
  /** Whether the 0.4x throughput target applies. */
  target: boolean;
}

export interface Sample {
  accountIds: string[];
}

/** Names of the deals scenario (d) creates; the runner deletes them again. */
export const CREATED_DEAL_PREFIX = 'Bench deal ';

/** Prefixes people type into a contact search: first names, last names, email starts. */
export const SEARCH_PREFIXES = ['müll', 'schm', 'wag', 'beck', 'anna', 'hoff', 'kle', 'fisch', 'web', 'lena', 'tho', 'kr', 'mai', 'jon', 'schu', 'zimm', 'bra', 'lan', 'ric', 'wol'];

const DEALS_PAGE = `query DealsPage($first: Int!) {
  deals(first: $first) {
    edges {
      cursor
      node {
        id name amount currency status expectedCloseDate createdAt
        account { id name }
        primaryContact { id name email }
        stage { id name probability }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const ACCOUNT_OVERVIEW = `query AccountOverview($id: ID!) {
  account(id: $id) {
    id name domain industry city country
    contacts(first: 20) {
      totalCount
      edges { node { id name email jobTitle phone createdAt } }
      pageInfo { hasNextPage }
    }
    deals(first: 50, filter: { status: { eq: OPEN } }) {
      edges { node { id name amount currency expectedCloseDate stage { id name } } }
    }
  }
}`;

const CONTACT_SEARCH = `query ContactSearch($q: String!) {
  contacts(search: $q, first: 20) {
    edges { node { id name email jobTitle account { id name } } }
    pageInfo { hasNextPage }
  }
}`;

const CREATE_DEAL = `mutation CreateDeal($input: CreateDealInput!) {
  createDeal(input: $input) {
    id name amount currency status createdAt
    account { id name }
    stage { id name }
  }
}`;

export function buildScenarios(sample: Sample): Scenario[] {
  const account = (n: number) => sample.accountIds[n % sample.accountIds.length];
  return [
    {
      key: 'a',
      title: 'deals page (50, with account, primary contact, stage)',
      operationName: 'DealsPage',
      query: DEALS_PAGE,
      variables: () => ({ first: 50 }),
      writes: false,
      target: true,
    },
    {
      key: 'b',
      title: 'account + 20 newest contacts + open deals',
      operationName: 'AccountOverview',
      query: ACCOUNT_OVERVIEW,
      variables: (n) => ({ id: account(n) }),
      writes: false,
      target: true,
    },
    {
      key: 'c',
      title: 'contact search by name prefix (20)',
      operationName: 'ContactSearch',
      query: CONTACT_SEARCH,
      variables: (n) => ({ q: SEARCH_PREFIXES[n % SEARCH_PREFIXES.length] }),
      writes: false,
      target: true,
    },
    {
      key: 'd',
      title: 'createDeal',
      operationName: 'CreateDeal',
      query: CREATE_DEAL,
      variables: (n, target) => ({
        input: { name: `${CREATED_DEAL_PREFIX}${target} ${n}`, amount: `${1000 + (n % 90_000)}.50`, accountId: account(n), expectedCloseDate: '2027-03-31' },
      }),
      writes: true,
      target: false,
    },
  ];
}

export function requestBody(scenario: Scenario, n: number, target: Target): string {
  return JSON.stringify({ operationName: scenario.operationName, query: scenario.query, variables: scenario.variables(n, target) });
}
