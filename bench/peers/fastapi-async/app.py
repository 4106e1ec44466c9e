"""FastAPI (async) peer: the seed's python-fastapi-async server (lukehsiao/axum-fastapi).

An asyncpg pool of exactly 5 connections (min_size=max_size=5) opened in the
lifespan hook, a dependency that holds one connection for the request, the
raw query with conn.fetch, the rows returned as dicts (map(dict, rows), as
the seed) and validated by a pydantic 2 response_model.

Differences from the seed: GET /users (seed: /), table users (seed: "user"),
the URL from DATABASE_URL.
"""
import os
from contextlib import asynccontextmanager

import asyncpg
from fastapi import Depends, FastAPI
from pydantic import BaseModel

DATABASE_URL = os.environ["DATABASE_URL"]


# The seed's field order: user_id, email, username.
class User(BaseModel):
    user_id: str
    email: str
    username: str


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with asyncpg.create_pool(DATABASE_URL, min_size=5, max_size=5) as pool:
        app.pool = pool
        yield


app = FastAPI(lifespan=lifespan)
app.pool: asyncpg.Pool


async def db_session():
    async with app.pool.acquire() as session:
        yield session


@app.get("/users", response_model=list[User])
async def read_users(session: asyncpg.Connection = Depends(db_session)):
    users = await session.fetch(
        "SELECT user_id, username, email FROM users ORDER BY user_id LIMIT 100"
    )
    return map(dict, users)
