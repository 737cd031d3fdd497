/** Every order type of the panel protocol's "Order types" table. */
export const SERVICE_TYPES = [
  'Default',
  'Package',
  'SEO',
  'Custom Comments',
  'Custom Comments Package',
  'Mentions',
  'Mentions with Hashtags',
  'Mentions Custom List',
  'Mentions Hashtag',
  'Mentions User Followers',
  'Mentions Media Likers',
  'Comment Likes',
  'Comment Replies',
  'Poll',
  'Invites from Groups',
  'Web Traffic',
  'Subscriptions'
] as const

export type ServiceType = typeof SERVICE_TYPES[number]

/** A catalog entry as the simulator keeps it; `services` renders it in the panel's wire shape. */
export interface SimService {
  service: number
  name: string
  type: ServiceType
  category: string
  /** Price per 1000 units (per package for the package types), a decimal string. */
  rate: string
  min: number
  max: number
  refill: boolean
  cancel: boolean
  /** Drip-feed allowed: the SmartPanel dialect lists and checks it; default: Default services only. */
  dripfeed?: boolean
}

/** The `desc` the PHP panel scripts list beside a service. */
export function serviceDescription (s: SimService): string {
  return `Start: 0-1 hours\nSpeed: up to ${Math.min(s.max, 100_000).toLocaleString('en-US')}/day\n${s.refill ? 'Refill: 30 days' : 'No refill'}`
}

type Row = [number, string, ServiceType, string, string, number, number, boolean, boolean]

// The first Default service is cheap with refill and cancel on: other suites
// place hundreds of orders on "the first Default service" from the default balance.
const ROWS: Row[] = [
  [1, 'Instagram Followers [Refill 30D]', 'Default', 'Instagram Followers', '0.90', 50, 10000, true, true],
  [2, 'Instagram Followers [No Refill] [Max 50K]', 'Default', 'Instagram Followers', '0.45', 100, 50000, false, true],
  [3, 'Instagram Followers [Real] [Refill 365D]', 'Default', 'Instagram Followers', '2.80', 100, 20000, true, false],
  [4, 'Instagram Likes [Instant] [No Refill]', 'Default', 'Instagram Likes', '0.12', 10, 100000, false, false],
  [5, 'Instagram Likes [Refill 30D]', 'Default', 'Instagram Likes', '0.25', 20, 50000, true, true],
  [6, 'Instagram Reels Views [Max 10M]', 'Default', 'Instagram Views', '0.018', 100, 10000000, false, false],
  [7, 'Instagram Story Views [All Stories]', 'Default', 'Instagram Views', '0.35', 100, 50000, false, true],
  [8, 'Instagram Custom Comments [Real Accounts]', 'Custom Comments', 'Instagram Comments', '8', 10, 1500, false, true],
  [9, 'Instagram Custom Comments Package [5 Comments]', 'Custom Comments Package', 'Instagram Comments', '1.50', 1, 1, false, false],
  [10, 'Instagram Comment Likes [Top Comment]', 'Comment Likes', 'Instagram Comments', '3.20', 20, 5000, false, true],
  [11, 'Instagram Comment Replies [Custom]', 'Comment Replies', 'Instagram Comments', '12.00', 5, 500, false, false],
  [12, 'Instagram Mentions [Custom Usernames]', 'Mentions', 'Instagram Mentions', '4.00', 100, 10000, false, false],
  [13, 'Instagram Mentions + Hashtags', 'Mentions with Hashtags', 'Instagram Mentions', '4.80', 100, 10000, false, false],
  [14, 'Instagram Mentions [Custom List]', 'Mentions Custom List', 'Instagram Mentions', '6.00', 10, 10000, false, true],
  [15, 'Instagram Mentions [Hashtag Users]', 'Mentions Hashtag', 'Instagram Mentions', '5.00', 500, 50000, false, false],
  [16, 'Instagram Mentions [Followers of a User]', 'Mentions User Followers', 'Instagram Mentions', '4.50', 1000, 100000, false, false],
  [17, 'Instagram Mentions [Media Likers]', 'Mentions Media Likers', 'Instagram Mentions', '5.50', 500, 50000, false, false],
  [18, 'Instagram Auto Likes [Subscription] [Per Post]', 'Subscriptions', 'Instagram Auto Likes', '0.30', 50, 5000, false, false],
  [19, 'Instagram Profile Boost Package [1K Followers + 500 Likes]', 'Package', 'Instagram Packages', '9.99', 1, 1, false, false],
  [20, 'TikTok Followers [Refill 30D]', 'Default', 'TikTok Followers', '3.10', 100, 50000, true, true],
  [21, 'TikTok Likes [Fast] [No Refill]', 'Default', 'TikTok Likes', '0.60', 50, 100000, false, true],
  [22, 'TikTok Views [Max 10M] [Instant]', 'Default', 'TikTok Views', '0.005', 1000, 10000000, false, false],
  [23, 'TikTok Custom Comments', 'Custom Comments', 'TikTok Comments', '15.00', 5, 1000, false, false],
  [24, 'YouTube Views [Non Drop] [Refill Lifetime]', 'Default', 'YouTube Views', '1.85', 500, 1000000, true, false],
  [25, 'YouTube Views [Keyword Search] [SEO]', 'SEO', 'YouTube Views', '3.90', 1000, 100000, false, true],
  [26, 'YouTube Subscribers [Refill 30D]', 'Default', 'YouTube Subscribers', '18.00', 50, 5000, true, true],
  [27, 'YouTube Likes [Refill 30D]', 'Default', 'YouTube Likes', '2.40', 20, 20000, true, true],
  [28, 'Facebook Page Likes [Refill 30D]', 'Default', 'Facebook Page Likes', '2.20', 100, 50000, true, true],
  [29, 'Facebook Group Members [Invites from Groups]', 'Invites from Groups', 'Facebook Groups', '7.50', 100, 10000, false, true],
  [30, 'Telegram Channel Members [Refill 30D]', 'Default', 'Telegram Members', '1.10', 100, 100000, true, false],
  [31, 'Telegram Post Views [Last 5 Posts]', 'Default', 'Telegram Views', '0.04', 100, 500000, false, false],
  [32, 'Telegram Poll Votes', 'Poll', 'Telegram Polls', '0.85', 100, 50000, false, true],
  [33, 'Twitter/X Followers [Refill 30D]', 'Default', 'Twitter Followers', '4.20', 100, 30000, true, true],
  [34, 'Twitter/X Poll Votes', 'Poll', 'Twitter Polls', '1.20', 100, 20000, false, false],
  [35, 'Website Traffic [Worldwide] [Google Keyword]', 'Web Traffic', 'Website Traffic', '0.75', 1000, 1000000, false, true],
  [36, 'Website Traffic [USA] [Custom Referrer]', 'Web Traffic', 'Website Traffic', '1.40', 500, 500000, false, false],
  [37, 'Spotify Plays [Premium] [Refill 30D]', 'Default', 'Spotify Plays', '0.95', 1000, 1000000, true, false]
]

function fromRow ([service, name, type, category, rate, min, max, refill, cancel]: Row): SimService {
  return { service, name, type, category, rate, min, max, refill, cancel }
}

/** The default catalog: a few dozen realistic services covering every order type. */
export function defaultCatalog (): SimService[] {
  return ROWS.map(fromRow)
}

const PLATFORMS = ['Instagram', 'TikTok', 'YouTube', 'Facebook', 'Telegram', 'Twitter/X', 'Spotify', 'Twitch', 'Threads', 'LinkedIn']
const PRODUCTS = ['Followers', 'Likes', 'Views', 'Comments', 'Shares', 'Saves', 'Members', 'Story Views', 'Impressions', 'Reach']
const TAGS = ['[Refill 30D]', '[No Refill]', '[Real]', '[Instant]', '[Max 100K]', '[HQ] [Refill 365D]', '[Non Drop]', '[Fast]']
const BOUNDS: Array<[number, number]> = [[10, 10000], [50, 50000], [100, 100000], [500, 1000000], [1000, 10000000]]
const PACKAGE_TYPES: ReadonlySet<ServiceType> = new Set(['Package', 'Custom Comments Package'])

/**
 * `n` services for benchmarks, deterministic: mostly Default, every order type
 * present once `n` ≥ 81, categories of 10 consecutive services.
 */
export function generateCatalog (n: number): SimService[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`generateCatalog: not a service count: ${n}`)
  const others = SERVICE_TYPES.filter((type) => type !== 'Default')
  const services: SimService[] = []
  for (let i = 0; i < n; i++) {
    const id = i + 1
    const platform = PLATFORMS[Math.floor(i / 100) % PLATFORMS.length] as string
    const product = PRODUCTS[Math.floor(i / 10) % PRODUCTS.length] as string
    const tag = TAGS[(i * 7) % TAGS.length] as string
    const type: ServiceType = i > 0 && i % 5 === 0 ? others[(i / 5 - 1) % others.length] as ServiceType : 'Default'
    const [min, max] = PACKAGE_TYPES.has(type) ? [1, 1] : BOUNDS[(i * 3) % BOUNDS.length] as [number, number]
    // Rates from 0.001 to 25.000, built from integers so no float ever rounds.
    const mills = ((id * 7919) % 25000) + 1
    services.push({
      service: id,
      name: `${platform} ${product} ${tag} #${id}`,
      type,
      category: `${platform} ${product}`,
      rate: `${Math.floor(mills / 1000)}.${String(mills % 1000).padStart(3, '0')}`,
      min,
      max,
      refill: tag.includes('Refill') && !tag.includes('No Refill'),
      cancel: id % 3 !== 0
    })
  }
  return services
}
