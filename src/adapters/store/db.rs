//! The seam between the store's SQL and its two databases: one query text, run on whichever
//! connection a [`Db`] holds.
//!
//! `Transaction<Sqlite>` and `Transaction<Postgres>` are different types, so a helper that
//! takes one cannot take the other. Here the connection is an enum ([`Db`]), the values a
//! query binds are owned [`Arg`]s, and a [`Query`] binds them to the right driver only when
//! it runs. Helpers take `&mut Db<'_>`; a method that writes opens a [`Tx`] with
//! [`Store::begin`] (SQLite: `BEGIN IMMEDIATE`), passes `&mut tx.db()` to its helpers and
//! commits. Dropping a `Tx` without committing rolls it back, so `?` anywhere aborts the
//! whole change.
//!
//! Queries use `$1` placeholders, which the SQLite driver accepts too; a placeholder may be
//! used more than once. What differs between the dialects is chosen by
//! [`Db::is_postgres`]. This module knows nothing of the tables.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgConnection, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqliteRow};
use sqlx::{Arguments, Database, Decode, Encode, FromRow, Postgres, SqlSafeStr, SqlStr, Sqlite, Transaction, Type};

use super::{Pools, Store, StoreResult};
use crate::domain::model::{IncomingId, RequestId, UnitId};

/// A connection to one of the two databases, borrowed for the length of some work: a
/// transaction's ([`Tx::db`]) or a pooled one ([`Store::connection`]).
pub(crate) enum Db<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl<'c> From<&'c mut SqliteConnection> for Db<'c> {
    fn from(connection: &'c mut SqliteConnection) -> Self {
        Db::Sqlite(connection)
    }
}

impl<'c> From<&'c mut PgConnection> for Db<'c> {
    fn from(connection: &'c mut PgConnection) -> Self {
        Db::Postgres(connection)
    }
}

impl Db<'_> {
    /// Whether the PostgreSQL text of a statement is wanted (`FOR UPDATE`, JSON functions).
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }
}

/// A write transaction on either database. Dropped without [`commit`](Self::commit), it rolls
/// back.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// The transaction's connection, for queries and helpers.
    pub(crate) fn db(&mut self) -> Db<'_> {
        match self {
            Tx::Sqlite(tx) => Db::Sqlite(tx),
            Tx::Postgres(tx) => Db::Postgres(tx),
        }
    }

    pub(crate) async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// A connection taken from the pool for several reads in a row.
pub(crate) enum Connection {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl Connection {
    pub(crate) fn db(&mut self) -> Db<'_> {
        match self {
            Connection::Sqlite(connection) => Db::Sqlite(connection),
            Connection::Postgres(connection) => Db::Postgres(connection),
        }
    }
}

impl Store {
    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so the writer lock is
    /// taken up front instead of failing half-way.
    pub(crate) async fn begin(&self) -> StoreResult<Tx> {
        Ok(match &self.pools {
            Pools::Sqlite(pools) => Tx::Sqlite(pools.writer().begin_with("BEGIN IMMEDIATE").await?),
            Pools::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A pooled connection, for reads that need no transaction.
    pub(crate) async fn connection(&self) -> StoreResult<Connection> {
        Ok(match &self.pools {
            Pools::Sqlite(pools) => Connection::Sqlite(pools.reader().acquire().await?),
            Pools::Postgres(pool) => Connection::Postgres(pool.acquire().await?),
        })
    }
}

/// One value a query binds, owned, with its SQL type (a `None` is a typed NULL, which
/// PostgreSQL needs for `$1 IS NULL`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Int(Option<i64>),
    /// For INTEGER columns PostgreSQL keeps as 32 bits (an exit code).
    Int32(Option<i32>),
    Bool(Option<bool>),
    Text(Option<String>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Bytes(Option<Vec<u8>>),
}

/// A Rust type with an [`Arg`] kind: the value, or `None` as that kind's NULL.
pub(crate) trait ArgValue: Sized {
    fn arg(value: Option<Self>) -> Arg;
}

impl ArgValue for i64 {
    fn arg(value: Option<Self>) -> Arg {
        Arg::Int(value)
    }
}

impl ArgValue for i32 {
    fn arg(value: Option<Self>) -> Arg {
        Arg::Int32(value)
    }
}

impl ArgValue for bool {
    fn arg(value: Option<Self>) -> Arg {
        Arg::Bool(value)
    }
}

impl ArgValue for String {
    fn arg(value: Option<Self>) -> Arg {
        Arg::Text(value)
    }
}

impl ArgValue for DateTime<Utc> {
    fn arg(value: Option<Self>) -> Arg {
        Arg::Time(value)
    }
}

impl ArgValue for NaiveDate {
    fn arg(value: Option<Self>) -> Arg {
        Arg::Date(value)
    }
}

impl ArgValue for Vec<u8> {
    fn arg(value: Option<Self>) -> Arg {
        Arg::Bytes(value)
    }
}

/// The id newtypes bind as the integer they wrap, and read back from an integer column (also
/// as fields of `FromRow` structs and in `on_pool!` queries), on either database.
macro_rules! id_column {
    ($($id:ty),*) => {$(
        impl ArgValue for $id {
            fn arg(value: Option<Self>) -> Arg {
                Arg::Int(value.map(<$id>::get))
            }
        }

        impl From<&$id> for Arg {
            fn from(value: &$id) -> Self {
                Arg::Int(Some(value.get()))
            }
        }

        impl<DB: Database> Type<DB> for $id
        where
            i64: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <i64 as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <i64 as Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $id
        where
            i64: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<$id>::new(<i64 as Decode<'r, DB>>::decode(value)?))
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $id
        where
            i64: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'q, DB>>::encode(self.get(), buf)
            }
        }
    )*};
}

id_column!(UnitId, RequestId, IncomingId);

impl<T: ArgValue> From<T> for Arg {
    fn from(value: T) -> Self {
        T::arg(Some(value))
    }
}

impl<T: ArgValue> From<Option<T>> for Arg {
    fn from(value: Option<T>) -> Self {
        T::arg(value)
    }
}

impl From<&i64> for Arg {
    fn from(value: &i64) -> Self {
        Arg::Int(Some(*value))
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(Some(value.to_string()))
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Arg::Text(Some(value.clone()))
    }
}

impl From<Option<&str>> for Arg {
    fn from(value: Option<&str>) -> Self {
        Arg::Text(value.map(str::to_string))
    }
}

impl From<Option<&String>> for Arg {
    fn from(value: Option<&String>) -> Self {
        Arg::Text(value.cloned())
    }
}

impl From<&Option<String>> for Arg {
    fn from(value: &Option<String>) -> Self {
        Arg::Text(value.clone())
    }
}

impl From<&Vec<u8>> for Arg {
    fn from(value: &Vec<u8>) -> Self {
        Arg::Bytes(Some(value.clone()))
    }
}

/// A row type both drivers can read (tuples and `#[derive(sqlx::FromRow)]` structs).
pub(crate) trait FromEitherRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> FromEitherRow for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A statement with its arguments, run on a [`Db`].
#[must_use = "a query does nothing until it is executed or fetched"]
pub(crate) struct Query {
    sql: SqlStr,
    args: Vec<Arg>,
}

/// A statement: a `&'static str`, or `sqlx::AssertSqlSafe(text)` for one put together at
/// run time from fixed pieces (never from input).
pub(crate) fn sql(text: impl SqlSafeStr) -> Query {
    Query {
        sql: text.into_sql_str(),
        args: Vec::new(),
    }
}

impl Query {
    /// Binds the next placeholder (`$1`, then `$2`…).
    pub(crate) fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Runs a statement; returns the number of rows it changed.
    pub(crate) async fn execute(self, db: &mut Db<'_>) -> StoreResult<u64> {
        Ok(match db {
            Db::Sqlite(connection) => sqlx::query_with(self.sql, arguments::<SqliteArguments>(self.args)?)
                .execute(&mut **connection)
                .await?
                .rows_affected(),
            Db::Postgres(connection) => sqlx::query_with(self.sql, arguments::<PgArguments>(self.args)?)
                .execute(&mut **connection)
                .await?
                .rows_affected(),
        })
    }

    pub(crate) async fn fetch_all<T: FromEitherRow>(self, db: &mut Db<'_>) -> StoreResult<Vec<T>> {
        Ok(match db {
            Db::Sqlite(connection) => {
                sqlx::query_as_with(self.sql, arguments::<SqliteArguments>(self.args)?)
                    .fetch_all(&mut **connection)
                    .await?
            }
            Db::Postgres(connection) => {
                sqlx::query_as_with(self.sql, arguments::<PgArguments>(self.args)?)
                    .fetch_all(&mut **connection)
                    .await?
            }
        })
    }

    pub(crate) async fn fetch_optional<T: FromEitherRow>(self, db: &mut Db<'_>) -> StoreResult<Option<T>> {
        Ok(match db {
            Db::Sqlite(connection) => {
                sqlx::query_as_with(self.sql, arguments::<SqliteArguments>(self.args)?)
                    .fetch_optional(&mut **connection)
                    .await?
            }
            Db::Postgres(connection) => {
                sqlx::query_as_with(self.sql, arguments::<PgArguments>(self.args)?)
                    .fetch_optional(&mut **connection)
                    .await?
            }
        })
    }

    /// The one row a statement returns; no row is an error (`sqlx::Error::RowNotFound`).
    pub(crate) async fn fetch_one<T: FromEitherRow>(self, db: &mut Db<'_>) -> StoreResult<T> {
        Ok(match db {
            Db::Sqlite(connection) => {
                sqlx::query_as_with(self.sql, arguments::<SqliteArguments>(self.args)?)
                    .fetch_one(&mut **connection)
                    .await?
            }
            Db::Postgres(connection) => {
                sqlx::query_as_with(self.sql, arguments::<PgArguments>(self.args)?)
                    .fetch_one(&mut **connection)
                    .await?
            }
        })
    }

    /// The single column of the one row a statement returns (`SELECT COUNT(*) …`).
    pub(crate) async fn fetch_scalar<T>(self, db: &mut Db<'_>) -> StoreResult<T>
    where
        (T,): FromEitherRow,
    {
        let (value,) = self.fetch_one::<(T,)>(db).await?;
        Ok(value)
    }
}

/// The driver's argument list for `args`, in order.
fn arguments<A>(args: Vec<Arg>) -> Result<A, sqlx::Error>
where
    A: Arguments,
    for<'q> Option<i64>: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> Option<i32>: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> Option<bool>: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> Option<String>: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> Option<NaiveDate>: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> Option<Vec<u8>>: Encode<'q, A::Database> + Type<A::Database>,
{
    let mut arguments = A::default();
    for arg in args {
        let added = match arg {
            Arg::Int(value) => arguments.add(value),
            Arg::Int32(value) => arguments.add(value),
            Arg::Bool(value) => arguments.add(value),
            Arg::Text(value) => arguments.add(value),
            Arg::Time(value) => arguments.add(value),
            Arg::Date(value) => arguments.add(value),
            Arg::Bytes(value) => arguments.add(value),
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    Ok(arguments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqlitePoolOptions;

    /// One connection, so the in-memory database lives as long as the pool.
    async fn memory_store() -> Store {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite opens");
        let store = Store::new(crate::adapters::store::Pools::Sqlite(
            crate::adapters::store::SqlitePools::single(pool),
        ));
        let mut connection = store.connection().await.unwrap();
        sql("CREATE TABLE kinds (i INTEGER, n INTEGER, b BOOLEAN, s TEXT, t TEXT, d TEXT, x BLOB)")
            .execute(&mut connection.db())
            .await
            .unwrap();
        store
    }

    type KindsRow = (
        Option<i64>,
        Option<i32>,
        Option<bool>,
        Option<String>,
        Option<DateTime<Utc>>,
        Option<NaiveDate>,
        Option<Vec<u8>>,
    );

    #[test]
    fn rust_values_become_the_argument_kind_of_their_sql_type() {
        let at: DateTime<Utc> = "2026-03-02T01:30:00Z".parse().unwrap();
        let text = String::from("Sở Giáo dục");
        assert_eq!(Arg::from(7_i64), Arg::Int(Some(7)));
        assert_eq!(Arg::from(&7_i64), Arg::Int(Some(7)));
        assert_eq!(Arg::from(None::<i64>), Arg::Int(None));
        assert_eq!(Arg::from(70_i32), Arg::Int32(Some(70)));
        assert_eq!(Arg::from(true), Arg::Bool(Some(true)));
        assert_eq!(Arg::from("a"), Arg::Text(Some("a".into())));
        assert_eq!(Arg::from(&text), Arg::Text(Some(text.clone())));
        assert_eq!(Arg::from(Some(&text)), Arg::Text(Some(text.clone())));
        assert_eq!(Arg::from(None::<&str>), Arg::Text(None));
        assert_eq!(Arg::from(&None::<String>), Arg::Text(None));
        assert_eq!(Arg::from(at), Arg::Time(Some(at)));
        assert_eq!(Arg::from(None::<DateTime<Utc>>), Arg::Time(None));
        assert_eq!(Arg::from(at.date_naive()), Arg::Date(Some(at.date_naive())));
        assert_eq!(Arg::from(&vec![1_u8, 2]), Arg::Bytes(Some(vec![1, 2])));
        assert_eq!(Arg::from(UnitId::new(7)), Arg::Int(Some(7)));
        assert_eq!(Arg::from(&RequestId::new(7)), Arg::Int(Some(7)));
        assert_eq!(Arg::from(None::<IncomingId>), Arg::Int(None));
    }

    #[tokio::test]
    async fn every_argument_kind_is_written_and_read_back_on_sqlite() {
        let store = memory_store().await;
        let at: DateTime<Utc> = "2026-03-02T01:30:00Z".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        let mut connection = store.connection().await.unwrap();
        let db = &mut connection.db();
        let statement = "INSERT INTO kinds (i, n, b, s, t, d, x) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let written = sql(statement)
            .bind(-5_i64)
            .bind(70_i32)
            .bind(true)
            .bind("Phòng GD&ĐT")
            .bind(at)
            .bind(day)
            .bind(vec![0_u8, 255])
            .execute(db)
            .await
            .unwrap();
        assert_eq!(written, 1);
        sql(statement)
            .bind(None::<i64>)
            .bind(None::<i32>)
            .bind(None::<bool>)
            .bind(None::<&str>)
            .bind(None::<DateTime<Utc>>)
            .bind(None::<NaiveDate>)
            .bind(None::<Vec<u8>>)
            .execute(db)
            .await
            .unwrap();
        let rows: Vec<KindsRow> = sql("SELECT i, n, b, s, t, d, x FROM kinds ORDER BY rowid")
            .fetch_all(db)
            .await
            .unwrap();
        assert_eq!(
            rows,
            [
                (
                    Some(-5),
                    Some(70),
                    Some(true),
                    Some("Phòng GD&ĐT".to_string()),
                    Some(at),
                    Some(day),
                    Some(vec![0, 255])
                ),
                (None, None, None, None, None, None, None),
            ]
        );
    }

    #[tokio::test]
    async fn an_id_is_bound_and_read_back_as_its_type() {
        let store = memory_store().await;
        let mut connection = store.connection().await.unwrap();
        let db = &mut connection.db();
        sql("INSERT INTO kinds (i, n) VALUES ($1, $2)")
            .bind(UnitId::new(12))
            .bind(None::<RequestId>)
            .execute(db)
            .await
            .unwrap();
        let row: (UnitId, Option<RequestId>) = sql("SELECT i, n FROM kinds").fetch_one(db).await.unwrap();
        assert_eq!(row, (UnitId::new(12), None));
    }

    #[tokio::test]
    async fn a_placeholder_used_twice_binds_one_value() {
        let store = memory_store().await;
        let mut connection = store.connection().await.unwrap();
        let db = &mut connection.db();
        let count: i64 = sql("SELECT COUNT(*) FROM (SELECT 1) WHERE $1 IS NULL OR $1 = 3")
            .bind(Some(3_i64))
            .fetch_scalar(db)
            .await
            .unwrap();
        assert_eq!(count, 1);
        let none: Option<(i64,)> = sql("SELECT 1 WHERE $1 IS NULL OR $1 = 3")
            .bind(Some(4_i64))
            .fetch_optional(db)
            .await
            .unwrap();
        assert_eq!(none, None);
    }

    #[tokio::test]
    async fn a_transaction_dropped_without_commit_leaves_nothing() {
        let store = memory_store().await;
        let insert = || sql("INSERT INTO kinds (i) VALUES ($1)");
        let mut tx = store.begin().await.unwrap();
        insert().bind(1_i64).execute(&mut tx.db()).await.unwrap();
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        insert().bind(2_i64).execute(&mut tx.db()).await.unwrap();
        tx.commit().await.unwrap();
        let mut connection = store.connection().await.unwrap();
        let kept: Vec<(i64,)> = sql("SELECT i FROM kinds")
            .fetch_all(&mut connection.db())
            .await
            .unwrap();
        assert_eq!(kept, [(2,)]);
    }

    #[tokio::test]
    async fn fetch_one_without_a_row_is_an_error() {
        let store = memory_store().await;
        let mut connection = store.connection().await.unwrap();
        let missing = sql("SELECT i FROM kinds")
            .fetch_one::<(i64,)>(&mut connection.db())
            .await;
        assert!(matches!(
            missing,
            Err(crate::adapters::store::StoreError::Database(sqlx::Error::RowNotFound))
        ));
    }
}
