import { DEFAULT_MIGRATION_LOCK_TABLE, DEFAULT_MIGRATION_TABLE, PostgresDialect, PostgresIntrospector, sql, type DatabaseIntrospector, type DatabaseMetadata, type DatabaseMetadataOptions, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely'

interface ColumnRow {
  table: string
  kind: string
  schema: string
  column: string | null
  type: string | null
  typeSchema: string | null
  notNull: boolean | null
  hasDefault: boolean | null
  serial: string | null
}

/**
 * Kysely's PostgreSQL introspector reads every schema of the database and asks
 * `has_schema_privilege` of each by name, so a schema another client drops
 * meanwhile fails the migrator's table check ("schema … does not exist"): a
 * database shared with other apps could stop the gateway starting. This one
 * reads only the connection's current schema, where the store lives.
 */
class OwnSchemaIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<any>
  readonly #schemas: PostgresIntrospector

  constructor (db: Kysely<any>) {
    this.#db = db
    this.#schemas = new PostgresIntrospector(db)
  }

  async getSchemas (): Promise<SchemaMetadata[]> {
    return await this.#schemas.getSchemas()
  }

  async getTables (options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const internal = [DEFAULT_MIGRATION_TABLE, DEFAULT_MIGRATION_LOCK_TABLE]
    const { rows } = await sql<ColumnRow>`
      select c.relname as "table", c.relkind as kind, ns.nspname as schema,
             a.attname as "column", typ.typname as type, tns.nspname as "typeSchema",
             a.attnotnull as "notNull", a.atthasdef as "hasDefault",
             pg_get_serial_sequence(quote_ident(ns.nspname) || '.' || quote_ident(c.relname), a.attname) as serial
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
      left join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      left join pg_catalog.pg_type typ on typ.oid = a.atttypid
      left join pg_catalog.pg_namespace tns on tns.oid = typ.typnamespace
      where ns.nspname = current_schema() and c.relkind in ('r', 'v', 'p')
      order by c.relname, a.attnum`.execute(this.#db)
    const tables = new Map<string, TableMetadata & { columns: TableMetadata['columns'] }>()
    for (const row of rows) {
      if (!options.withInternalKyselyTables && internal.includes(row.table)) continue
      let table = tables.get(row.table)
      if (table === undefined) {
        table = { name: row.table, schema: row.schema, isView: row.kind === 'v', columns: [] }
        tables.set(row.table, table)
      }
      if (row.column === null) continue
      table.columns.push({
        name: row.column,
        dataType: row.type ?? '',
        ...(row.typeSchema === null ? {} : { dataTypeSchema: row.typeSchema }),
        isNullable: row.notNull !== true,
        isAutoIncrementing: row.serial !== null,
        hasDefaultValue: row.hasDefault === true
      })
    }
    return [...tables.values()]
  }

  async getMetadata (options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) }
  }
}

/** PostgresDialect whose introspection (used by the migrator) stays in the store's own schema. */
export class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector (db: Kysely<any>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db)
  }
}
