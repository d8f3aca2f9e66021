"""The baseline of bench/checkin_http.py: a bare Flask endpoint that reads a form and redirects.

Served like the product (gunicorn's gevent worker, connections taking turns: web/fairness.py).
"""
from flask import Flask, redirect, request

from web import fairness

app = Flask(__name__)
fairness.init_app(app)


@app.post("/bare")
def bare():
    request.form.get("nir")
    return redirect("/done", code=303)
