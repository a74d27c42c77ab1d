/**
 * `findNames`: the entries of a listing whose names are wanted, read no further than one page per
 * wanted name (plus one). With names still being learnt (a copy searches the target while it lists
 * the source), the search must keep pace with the names, never read past the budget they allow,
 * and still find a name it read before it was learnt.
 */
import { findNames, LearntNames, type Page } from '../../src/core/paging.js'
import { RateController } from '../../src/core/rate.js'
import { FakeClock } from './fakes.js'

/** A listing of `pages` pages of two names each (`n0`, `n1`, `n2`, ...), recording the pages read. */
function listing(pages: number) {
  const read: number[] = []
  const page = async (token: string | undefined): Promise<Page<{ name: string }>> => {
    const index = token === undefined ? 0 : Number(token)
    read.push(index)
    return {
      items: [{ name: `N${2 * index}` }, { name: `N${2 * index + 1}` }],
      ...(index + 1 < pages && { continuationToken: String(index + 1) })
    }
  }
  return { read, page }
}

const rate = () => {
  const clock = new FakeClock()
  return new RateController({ concurrency: 4, clock, sleep: clock.sleep, random: () => 0.5 })
}
const settle = () => new Promise(resolve => setImmediate(resolve))

describe('findNames with names known at once', () => {
  it('finds the wanted names case-insensitively and keeps no other entry', async () => {
    const { page } = listing(3)
    const found = await findNames(rate(), page, ['n1', 'n4'])
    expect([...found!.keys()].sort()).toEqual(['n1', 'n4'])
  })

  it('gives up (undefined) when the listing runs past one page per wanted name plus one', async () => {
    const { read, page } = listing(10)
    expect(await findNames(rate(), page, ['n19'])).toBeUndefined()
    expect(read).toEqual([0, 1])
  })
})

describe('findNames with names still being learnt', () => {
  it('reads no page beyond the budget of the names learnt so far, and resumes as names arrive', async () => {
    const { read, page } = listing(10)
    const names = new LearntNames()
    const search = findNames(rate(), page, names)
    await settle()
    // No name yet: one page (the one the service may open with empty) and no more.
    expect(read).toEqual([0])
    names.add('N5')
    for (let i = 0; i < 5; i++) await settle()
    expect(read).toEqual([0, 1])
    names.add('N0')
    names.add('N17')
    for (let i = 0; i < 5; i++) await settle()
    expect(read).toEqual([0, 1, 2, 3])
    names.finish()
    // Final: 3 names allow 4 pages; the listing has more, so the search gives up.
    expect(await search).toBeUndefined()
    expect(read).toEqual([0, 1, 2, 3])
  })

  it('finds a name read before it was learnt, and drops the entries no name wanted', async () => {
    const { page } = listing(3)
    const names = new LearntNames()
    const search = findNames(rate(), page, names)
    await settle()
    for (const name of ['n0', 'x', 'y']) names.add(name)
    for (let i = 0; i < 10; i++) await settle()
    names.add('N5')
    names.finish()
    const found = await search
    expect([...found!.keys()].sort()).toEqual(['n0', 'n5'])
  })

  it('ends at once when the names become final with a budget already spent', async () => {
    const { read, page } = listing(10)
    const names = new LearntNames()
    const search = findNames(rate(), page, names)
    await settle()
    names.finish()
    expect(await search).toBeUndefined()
    expect(read).toEqual([0])
  })
})
