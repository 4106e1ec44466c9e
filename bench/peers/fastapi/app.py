"""FastAPI (sync) peer: FastAPI's SQL tutorial layout, as in the seed benchmark.

SQLAlchemy engine with the default QueuePool (pool_size=5, max_overflow=0 so at
most 5 connections), one Session per request via the get_db dependency, a
declarative User model and a Pydantic response_model.
"""
import os

from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, String, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import Session, sessionmaker

# DATABASE_URL is libpq-style (postgresql://... or postgres://..., possibly
# ?host=/socket/dir); SQLAlchemy needs the driver named in the scheme.
url = os.environ["DATABASE_URL"]
scheme, sep, rest = url.partition("://")
if not sep or scheme not in ("postgres", "postgresql"):
    raise SystemExit(f"DATABASE_URL must start with postgresql:// or postgres://, got {url!r}")
SQLALCHEMY_DATABASE_URL = "postgresql+psycopg2://" + rest

engine = create_engine(SQLALCHEMY_DATABASE_URL, pool_size=5, max_overflow=0)
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)

Base = declarative_base()


class User(Base):
    __tablename__ = "users"

    user_id = Column(String, primary_key=True, index=True)
    username = Column(String, unique=True, index=True)
    email = Column(String, unique=True, index=True)


class UserSchema(BaseModel):
    user_id: str
    username: str
    email: str

    class Config:
        orm_mode = True


app = FastAPI()


# Dependency
def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.get("/users", response_model=list[UserSchema])
def read_users(db: Session = Depends(get_db)):
    return db.query(User).order_by(User.user_id).limit(100).all()
