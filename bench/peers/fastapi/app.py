"""FastAPI (sync) peer: the seed's python-fastapi server (lukehsiao/axum-fastapi).

FastAPI's SQL tutorial as the seed wrote it (its database, models, schemas,
crud and main modules, folded into this file): a SQLAlchemy engine with
create_engine's defaults (QueuePool pool_size=5 + max_overflow=10: up to 15
connections under load), one Session per request through the get_db
dependency, a plain `def` handler (run in Starlette's thread pool), the ORM
query, and a pydantic 2 response_model built from the ORM objects.

Differences from the seed: GET /users (seed: /), table users (seed: "user"),
the URL from DATABASE_URL, and no Base.metadata.create_all() at import (the
benchmark's setup makes the table).
"""
import os

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, String, create_engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

# --- database: DATABASE_URL is libpq-style (postgresql:// or postgres://,
# maybe ?host=/socket/dir, which psycopg2 takes as it is).
url = os.environ["DATABASE_URL"]
scheme, sep, rest = url.partition("://")
if not sep or scheme not in ("postgres", "postgresql"):
    raise SystemExit(f"DATABASE_URL must start with postgresql:// or postgres://, got {url!r}")
SQLALCHEMY_DATABASE_URL = "postgresql+psycopg2://" + rest

engine = create_engine(SQLALCHEMY_DATABASE_URL)
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)

Base = declarative_base()


# --- models
class User(Base):
    __tablename__ = "users"

    user_id = Column(String, primary_key=True, index=True)
    email = Column(String, unique=True, index=True)
    username = Column(String, unique=True, index=True)


# --- schemas (the seed's field order: email, username, user_id)
class UserBase(BaseModel):
    email: str
    username: str


class UserSchema(UserBase):
    user_id: str

    model_config = ConfigDict(from_attributes=True)


# --- crud
def get_users(db: Session):
    return db.query(User).order_by(User.user_id).limit(100).all()


# --- main
app = FastAPI()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.get("/users", response_model=list[UserSchema])
def read_users(db: Session = Depends(get_db)):
    users = get_users(db)
    return users
