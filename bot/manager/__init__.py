"""The managers' slash command (``/leads``) and the desk settings it steers: pause, business
hours, intake, owner pools and lead defaults. ``parse``, ``hours`` and ``stats`` are pure;
``service`` runs commands against the store; ``customer_effects`` applies the settings to
customers through the conversation events' hooks."""
