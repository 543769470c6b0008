// The keyed-* rule kinds (src/core/keyed-rules.ts), written for Task Master's tags but data any
// profile can use: here on a made-up orchestrator (shelves of books citing each other), pure.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diffSections, readKeyed } from '../../src/core/keyed-sections.js';
import { checkRules } from '../../src/core/rules.js';
import type { Issue, KeyedRuleSpec, KeyedSelector, RuleSpec } from '../../src/core/types.js';

const SELECTOR: KeyedSelector = { items: 'books', key: 'isbn', flat: 'main', children: 'chapters', ignore: ['touchedAt'], numeric: ['isbn', 'cites'], refs: 'cites', noun: 'shelf' };
const rule = <K extends KeyedRuleSpec['kind']>(kind: K, extra: object = {}) => ({ kind, ...SELECTOR, ...extra }) as unknown as RuleSpec;

function check(spec: RuleSpec, before: unknown, after: unknown): Issue[] {
  return checkRules([spec], { ...(before === undefined ? {} : { previous: { bytes: Buffer.from(JSON.stringify(before)), doc: before } }), bytes: Buffer.from(JSON.stringify(after)), doc: after });
}
const codes = (issues: Issue[]) => issues.map((issue) => issue.code);

interface Book {
  isbn: number | string;
  title: string;
  cites?: Array<number | string>;
  chapters?: unknown;
  [field: string]: unknown;
}
const book = (isbn: number, title: string, cites: Array<number | string> = [], extra: object = {}): Book => ({ isbn, title, cites, ...extra });
const shelf = (...books: Book[]) => ({ books, label: { printed: '2026-01-01' } });
const library = () => ({
  main: shelf(book(1, 'Dune'), book(2, 'Emma', [1]), book(3, 'Ulysses', [1, 2], { chapters: [{ isbn: 1, title: 'Telemachus', cites: [] }] })),
  poetry: shelf(book(1, 'Odes'), book(2, 'Sonnets', [1]), book(4, 'Elegies', [2])),
  loans: shelf(book(7, 'Emma, second copy', [2])),
});

describe('canonical reading', () => {
  test('numeric strings are numbers, ignored fields and item order do not count, empty children are alike', () => {
    const a = library();
    const b = structuredClone(a) as Record<string, { books: Book[]; label: object }>;
    b.main!.books.reverse();
    b.main!.books.forEach((item) => {
      item.isbn = String(item.isbn);
      item.cites = (item.cites ?? []).map(String);
      item.touchedAt = 'now';
    });
    b.main!.label = { printed: 'later' };
    b.poetry!.books[0]!.chapters = null;
    b.poetry!.books[1]!.chapters = [];
    const diff = diffSections(readKeyed(a, SELECTOR)!, readKeyed(b, SELECTOR)!);
    assert.deepEqual(diff, { added: [], removed: [], changed: [] });
  });

  test('a flat document is one section named by `flat`; a non-object is no keyed document', () => {
    const flat = readKeyed({ books: [book(1, 'Dune')] }, SELECTOR)!;
    assert.equal(flat.flat, true);
    assert.deepEqual([...flat.sections.keys()], ['main']);
    assert.equal(readKeyed([1, 2], SELECTOR), undefined);
    assert.equal(readKeyed({ books: [] }, { ...SELECTOR, flat: undefined } as unknown as KeyedSelector)?.flat, false);
  });

  test('no rule throws on garbage, and none speaks about a first version', () => {
    const kinds = ['keyed-shape', 'keyed-set', 'keyed-untouched', 'keyed-no-copy', 'keyed-new-section', 'keyed-unique'] as const;
    const garbage = [null, 7, 'text', [], { main: null }, { main: { books: 'no' } }, { main: { books: [null, 3, { isbn: null }] } }, { books: [[]] }];
    for (const kind of kinds) {
      assert.deepEqual(check(rule(kind), undefined, library()), [], `${kind} on a first version`);
      for (const before of garbage) for (const after of garbage) assert.doesNotThrow(() => check(rule(kind), before, after), `${kind} ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    }
  });
});

describe('keyed-shape', () => {
  const shape = rule('keyed-shape');
  test('a keyed document never becomes flat', () => {
    const issues = check(shape, library(), { books: [book(1, 'Dune')] });
    assert.deepEqual(codes(issues), ['keyed-shape']);
    assert.match(issues[0]!.message, /flat form, losing its shelfs "main", "poetry", "loans"/);
  });
  test('never becomes {} once it held something; {} -> anything and flat -> flat pass', () => {
    assert.deepEqual(codes(check(shape, library(), {})), ['keyed-shape']);
    assert.deepEqual(codes(check(shape, { books: [] }, {})), ['keyed-shape']);
    assert.deepEqual(check(shape, {}, { books: [book(1, 'Dune')] }), []);
    assert.deepEqual(check(shape, {}, {}), []);
    assert.deepEqual(check(shape, { books: [book(1, 'Dune')] }, { books: [book(1, 'Dune'), book(2, 'Emma')], meta: {} }), []);
    assert.deepEqual(check(shape, { books: [book(1, 'Dune')] }, library()), []);
  });
});

describe('keyed-set', () => {
  const set = rule('keyed-set', { permanent: ['main'], reserved: ['books'] });
  const { main, poetry, loans } = library();
  test('a permanent section never disappears, also not by a rename', () => {
    assert.deepEqual(codes(check(set, library(), { poetry, loans })), ['keyed-set']);
    assert.match(check(set, library(), { primary: main, poetry, loans })[0]!.message, /shelf "main" disappeared/);
  });
  test('a reserved name never arrives, but one already there is tolerated', () => {
    assert.match(check(set, library(), { ...library(), books: shelf() })[0]!.message, /may not be named "books"/);
    assert.deepEqual(check(set, { ...library(), books: shelf() }, { ...library(), books: shelf(book(1, 'x')) }), []);
  });
  test('one section added, removed or renamed per write', () => {
    assert.deepEqual(check(set, library(), { ...library(), art: shelf() }), []);
    assert.deepEqual(check(set, library(), { main, poetry }), []);
    assert.deepEqual(check(set, library(), { main, poetry, lent: loans }), [], 'a rename keeps the items');
    assert.match(check(set, library(), { main, poetry, lent: shelf() })[0]!.message, /added "lent" and removed "loans"/);
    assert.deepEqual(codes(check(set, library(), { ...library(), art: shelf(), music: shelf() })), ['keyed-set']);
    assert.deepEqual(codes(check(set, library(), { main })), ['keyed-set']);
  });
  test('from {} anything may be added', () => {
    assert.deepEqual(check(set, {}, library()), []);
  });
});

describe('keyed-untouched', () => {
  const untouched = rule('keyed-untouched', { moveIgnore: ['movedFrom'] });
  test('one section changes; two at once is a stale copy written back', () => {
    const one = library();
    one.poetry.books[0]!.title = 'Odes (annotated)';
    assert.deepEqual(check(untouched, library(), one), []);
    const two = structuredClone(one);
    two.loans.books[0]!.title = 'Emma, third copy';
    const issues = check(untouched, library(), two);
    assert.deepEqual(codes(issues), ['keyed-untouched']);
    assert.match(issues[0]!.message, /shelfs "poetry", "loans" all changed in one write/);
  });
  test('a move: items leave one section and arrive, stamped, in another (existing or new)', () => {
    const moved = library();
    const [dune] = moved.main.books.splice(0, 1);
    moved.loans.books.push({ ...dune!, isbn: 8, movedFrom: 'main' });
    assert.deepEqual(check(untouched, library(), moved), []);
    const toNew = library() as Record<string, ReturnType<typeof shelf>>;
    const [emma] = toNew.main!.books.splice(1, 1);
    toNew.archive = { books: [{ ...emma!, movedFrom: 'main' }], label: { printed: 'x' } };
    assert.deepEqual(check(untouched, library(), toNew), []);
  });
  test('what arrives must be what left', () => {
    const fake = library();
    fake.main.books.splice(0, 1);
    fake.loans.books.push(book(8, 'Not Dune'));
    assert.deepEqual(codes(check(untouched, library(), fake)), ['keyed-untouched']);
    const kept = library();
    kept.loans.books.push({ ...kept.main.books[0]!, isbn: 9 }); // arrived without leaving: a copy
    kept.main.books[1]!.title = 'Emma (edited)';
    assert.deepEqual(codes(check(untouched, library(), kept)), ['keyed-untouched']);
  });
  test('a removal may prune references to what it removed in every section, and nothing else', () => {
    const pruned = library();
    pruned.main.books = pruned.main.books.filter((item) => item.isbn !== 2);
    pruned.main.books.forEach((item) => (item.cites = (item.cites ?? []).filter((ref) => ref !== 2)));
    pruned.poetry.books.forEach((item) => (item.cites = (item.cites ?? []).filter((ref) => ref !== 2)));
    pruned.loans.books.forEach((item) => (item.cites = (item.cites ?? []).filter((ref) => ref !== 2)));
    assert.deepEqual(check(untouched, library(), pruned), []);
    const overPruned = structuredClone(pruned);
    overPruned.poetry.books[1]!.cites = []; // cited 1, which was not removed
    assert.deepEqual(codes(check(untouched, library(), overPruned)), ['keyed-untouched']);
    const noRemoval = library();
    noRemoval.main.books[0]!.title = 'Dune Messiah';
    noRemoval.loans.books[0]!.cites = [];
    assert.deepEqual(codes(check(untouched, library(), noRemoval)), ['keyed-untouched']);
  });
  test('a write that adds, removes or renames a section changes nothing else', () => {
    const { main, poetry, loans } = library();
    const edited = structuredClone(poetry);
    edited.books[0]!.title = 'Odes (annotated)';
    assert.match(check(untouched, library(), { main, poetry: edited })[0]!.message, /"poetry" changed in the write that removed "loans"/);
    assert.deepEqual(codes(check(untouched, library(), { main, poetry: edited, loans, art: shelf() })), ['keyed-untouched']);
    assert.deepEqual(check(untouched, library(), { main, poetry, loans, art: shelf(book(1, 'x')) }), []);
  });
});

describe('keyed-no-copy', () => {
  const noCopy = rule('keyed-no-copy', { minChanged: 2 });
  test('an existing section never becomes a copy of another', () => {
    const copied = library();
    copied.poetry = structuredClone(copied.main);
    const issues = check(noCopy, library(), copied);
    assert.deepEqual(codes(issues), ['keyed-no-copy']);
    assert.match(issues[0]!.message, /shelf "poetry" became an exact copy of shelf "main" \(3 items replaced\)/);
  });
  test('one item edited back to match, an emptied section, and sections already equal are no copies', () => {
    const twin = { ...library(), twin: structuredClone(library().main) };
    const edited = structuredClone(twin);
    edited.twin.books[0]!.title = 'Dune (edited)';
    assert.deepEqual(check(noCopy, edited, twin), [], 'one item changed back');
    const empty = { ...library(), art: shelf() };
    assert.deepEqual(check(noCopy, empty, { ...empty, loans: shelf() }), []);
  });
});

describe('keyed-new-section', () => {
  const fresh = rule('keyed-new-section', { moveIgnore: ['movedFrom'] });
  test('empty, copy, rename, move target and new content pass', () => {
    const { main, poetry, loans } = library();
    assert.deepEqual(check(fresh, library(), { ...library(), art: shelf() }), []);
    assert.deepEqual(check(fresh, library(), { ...library(), art: structuredClone(main) }), []);
    assert.deepEqual(check(fresh, library(), { main, poetry, lent: loans }), []);
    assert.deepEqual(check(fresh, library(), { ...library(), art: shelf(book(1, 'Guernica'), book(2, 'Nighthawks', [1])) }), []);
    const moved = library() as Record<string, ReturnType<typeof shelf>>;
    const [dune] = moved.main!.books.splice(0, 1);
    moved.archive = { books: [{ ...dune!, movedFrom: 'main' }], label: { printed: 'x' } };
    assert.deepEqual(check(fresh, library(), moved), []);
  });
  test('a near-copy (some items of an existing section unchanged, one changed or added) is rejected', () => {
    const near = { ...library(), mian: structuredClone(library().main) };
    near.mian.books[1]!.title = 'Emma (edited)';
    const issues = check(fresh, library(), near);
    assert.deepEqual(codes(issues), ['keyed-new-section']);
    assert.match(issues[0]!.message, /new shelf "mian" is a near-copy of shelf "main" \(2 items identical, 1 changed\)/);
    const grown = { ...library(), mian: shelf(...structuredClone(library().main.books), book(4, 'Middlemarch')) };
    assert.deepEqual(codes(check(fresh, library(), grown)), ['keyed-new-section']);
  });
  test('maxChanged and minShared tune the heuristic', () => {
    const many = { ...library(), mian: shelf(library().main.books[0]!, book(5, 'a'), book(6, 'b'), book(7, 'c')) };
    assert.deepEqual(codes(check(fresh, library(), many)), ['keyed-new-section']);
    assert.deepEqual(check(rule('keyed-new-section', { maxChanged: 2 }), library(), many), []);
    assert.deepEqual(check(rule('keyed-new-section', { minShared: 2 }), library(), many), []);
  });
});

describe('keyed-unique', () => {
  const unique = rule('keyed-unique');
  test('a new duplicate key inside a section, numeric and string alike', () => {
    const dup = library();
    dup.poetry.books.push(book(4, 'Elegies II'));
    dup.loans.books.push(book('7' as unknown as number, 'Emma, third copy'));
    const issues = check(unique, library(), dup);
    assert.deepEqual(issues.map((issue) => [issue.code, issue.pointer, issue.item]), [
      ['keyed-unique', '/poetry/books', '4'],
      ['keyed-unique', '/loans/books', '7'],
    ]);
  });
  test('old duplicates are tolerated, a copy keeps its source\'s, the same key in two sections is fine', () => {
    const old = library();
    old.main.books.push(book(1, 'Dune (duplicate)'));
    const touched = structuredClone(old);
    touched.main.books[1]!.title = 'Emma (edited)';
    assert.deepEqual(check(unique, old, touched), []);
    assert.deepEqual(check(unique, old, { ...old, copy: structuredClone(old.main) }), []);
    assert.deepEqual(check(unique, library(), library()), []);
  });
});
