/** A row of demo data as positional values, in the column order of its DemoTable. */
export type DemoRow = readonly (string | number)[];

/** How many rows of each table the demo seeds. */
export const DEMO_SIZES = { customer: 2000, product: 120, order: 4000 } as const;

const FIRST = ["Ada", "Ben", "Chloé", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Katrin", "Liam",
  "Mia", "Noah", "Olga", "Paul", "Rosa", "Samir", "Tara", "Umut", "Vera", "Wim", "Yara", "Zoe"];
const LAST = ["Müller", "Schmidt", "Nguyen", "García", "Rossi", "Novak", "Kowalski", "Okafor", "Silva", "Dubois",
  "Jensen", "Yilmaz", "O'Brien", "Tanaka", "Fischer", "Costa", "Larsen", "Horvat", "Weber", "Ivanova"];
const STREETS = ["Lindenstraße", "Main Street", "Rue de la Paix", "Via Roma", "Keizersgracht", "Calle Mayor", "Baker Street"];
const CITIES: readonly (readonly [city: string, postal: string, country: string])[] = [
  ["Berlin", "10115", "DE"], ["Hamburg", "20095", "DE"], ["Paris", "75001", "FR"], ["Milano", "20121", "IT"],
  ["Amsterdam", "1015", "NL"], ["Madrid", "28013", "ES"], ["London", "NW1 6XE", "GB"], ["Wien", "1010", "AT"],
];
const CATEGORIES = ["book", "board game", "puzzle", "stationery", "poster"];
const ADJECTIVES = ["Classic", "Deluxe", "Pocket", "Illustrated", "Collector's", "Travel", "Family", "Mini"];
const NOUNS = ["Atlas", "Chess Set", "Notebook", "Jigsaw", "Fountain Pen", "Cookbook", "Star Map", "Card Game"];
const STATUSES = ["delivered", "delivered", "delivered", "shipped", "paid", "cancelled"];

/** A small deterministic PRNG (mulberry32), so every seeding produces the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ISO date `days` after 2024-01-01, as text (portable across dialects). */
function day(days: number): string {
  return new Date(Date.UTC(2024, 0, 1) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Generates every demo row, table by table, deterministically (same output on every call). */
export function generateDemoData(): Record<"customer" | "product" | "order" | "order_line", DemoRow[]> {
  const next = random(20240101);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const customer: DemoRow[] = [];
  for (let id = 1; id <= DEMO_SIZES.customer; id++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const [city, postal, country] = pick(CITIES);
    const email = `${first}.${last}.${id}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, "");
    customer.push([id, first, last, email, `${pick(STREETS)} ${1 + Math.floor(next() * 120)}`, city, postal, country, day(id % 365)]);
  }
  const product: DemoRow[] = [];
  for (let id = 1; id <= DEMO_SIZES.product; id++) {
    product.push([id, `${pick(ADJECTIVES)} ${pick(NOUNS)} No. ${id}`, pick(CATEGORIES), 299 + Math.floor(next() * 60) * 50]);
  }
  const order: DemoRow[] = [];
  const orderLine: DemoRow[] = [];
  for (let id = 1; id <= DEMO_SIZES.order; id++) {
    order.push([id, 1 + Math.floor(next() * DEMO_SIZES.customer), day(Math.floor(next() * 500)), pick(STATUSES)]);
    const lines = 1 + Math.floor(next() * 4);
    for (let line = 0; line < lines; line++) {
      const productRow = product[Math.floor(next() * product.length)]!;
      orderLine.push([orderLine.length + 1, id, productRow[0]!, 1 + Math.floor(next() * 3), productRow[3]!]);
    }
  }
  return { customer, product, order, order_line: orderLine };
}
