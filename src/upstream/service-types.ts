// The order types of the panel protocol (panel-api-v2.md, "Order types for add"),
// in the spelling the gateway's API uses whatever the panel writes
// (`default`, `custom_comments`, `Custom Comments`, `CUSTOM-COMMENTS`, …).

export const CANONICAL_TYPES = [
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

export type CanonicalType = typeof CANONICAL_TYPES[number]

/** Letters only, lower case: the key two spellings of one type share. */
export function typeKey (type: string): string {
  return type.toLowerCase().replace(/[^a-z]/g, '')
}

// Spellings panels use for the same type beyond case and separators.
const ALIASES: Record<string, CanonicalType> = {
  subscription: 'Subscriptions',
  customcomment: 'Custom Comments',
  customcommentpackage: 'Custom Comments Package',
  mentionwithhashtags: 'Mentions with Hashtags',
  mentionswithhashtag: 'Mentions with Hashtags',
  commentlike: 'Comment Likes',
  commentreply: 'Comment Replies',
  mentionshashtags: 'Mentions with Hashtags',
  mentionwithhashtag: 'Mentions with Hashtags',
  mentionscustomlists: 'Mentions Custom List',
  mentioncustomlist: 'Mentions Custom List',
  mentionuserfollowers: 'Mentions User Followers',
  mentionmedialikers: 'Mentions Media Likers',
  mention: 'Mentions',
  customcommentspackages: 'Custom Comments Package',
  commentslikes: 'Comment Likes',
  commentsreplies: 'Comment Replies',
  commentreplies: 'Comment Replies',
  polls: 'Poll',
  pollvotes: 'Poll',
  invitesfromgroup: 'Invites from Groups',
  invitefromgroups: 'Invites from Groups',
  groupinvites: 'Invites from Groups',
  webtraffics: 'Web Traffic',
  traffic: 'Web Traffic',
  packages: 'Package',
  subs: 'Subscriptions',
  normal: 'Default',
  standard: 'Default'
}

const BY_KEY = new Map<string, CanonicalType>([
  ...CANONICAL_TYPES.map((type): [string, CanonicalType] => [typeKey(type), type]),
  ...Object.entries(ALIASES)
])

/** The canonical name of a panel's type, or undefined for a type the gateway does not know. */
export function canonicalType (panelType: string): CanonicalType | undefined {
  return BY_KEY.get(typeKey(panelType))
}
