"""Customer context from billing providers (Stripe, Zoho Billing): who the operator is
talking to, their subscriptions, invoices and balance, shown in the thread."""
