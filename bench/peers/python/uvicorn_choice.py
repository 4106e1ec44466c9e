"""Print the event loop and HTTP implementation uvicorn picks in this
environment with its defaults (loop="auto", http="auto"), the way
`uvicorn app:app` sets them up: "loop=uvloop http=httptools" when the
seed's uvicorn[standard] extras are in use.  Run with the venv's python.
"""
import asyncio

from uvicorn.config import Config


async def _app(scope, receive, send):  # a do-nothing ASGI app for Config.load()
    pass


config = Config(_app)  # loop="auto", http="auto": uvicorn's defaults
config.load()
config.setup_event_loop()
loop = asyncio.new_event_loop()
print(f"loop={type(loop).__module__.split('.')[0]} "
      f"http={config.http_protocol_class.__module__.rsplit('.', 1)[-1].removesuffix('_impl')}")
loop.close()
