"""FastAPI (async) peer: asyncpg pool min_size=max_size=5, as in the seed benchmark.

fastapi 0.92 has no lifespan= argument, so the pool is created in a startup
event handler (and closed in a shutdown one).
"""
import os

import asyncpg
from fastapi import Depends, FastAPI
from pydantic import BaseModel

DATABASE_URL = os.environ["DATABASE_URL"]


class User(BaseModel):
    user_id: str
    username: str
    email: str


app = FastAPI()
app.pool: asyncpg.Pool


@app.on_event("startup")
async def startup():
    app.pool = await asyncpg.create_pool(DATABASE_URL, min_size=5, max_size=5)


@app.on_event("shutdown")
async def shutdown():
    await app.pool.close()


async def db_session():
    async with app.pool.acquire() as session:
        yield session


@app.get("/users", response_model=list[User])
async def read_users(session: asyncpg.Connection = Depends(db_session)):
    users = await session.fetch(
        "SELECT user_id, username, email FROM users ORDER BY user_id LIMIT 100"
    )
    return [dict(u) for u in users]
