"""Research: the next-app pointer head (`head`) and the fitting of its prior (`prior`).

The app does not use this head and the bundle does not carry it; `sculptor-train evaluate`
reports its figures and `sculptor-train pretrain-app-head` refits `app_head.json`.
"""
