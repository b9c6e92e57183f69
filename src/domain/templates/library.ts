/**
 * The built-in template library: example texts a customer copies into its own templates
 * (`createTemplate(input: { fromLibrary })`) and then adapts. Data, not code: adding one is
 * adding an entry. Texts use only the built-in placeholders ({firstname}, {lastname}, {link},
 * {code}), so a copy is valid in every account whatever its dynamic fields. Marketing texts do
 * not carry the opt-out mention: it is appended at sending time where the country requires it.
 */
import type { MessageType } from '../messaging/sending-windows.js';

export const TEMPLATE_LANGUAGES = ['FR', 'EN'] as const;
export type TemplateLanguage = (typeof TEMPLATE_LANGUAGES)[number];

export const TEMPLATE_CATEGORIES = [
  'APPOINTMENT',
  'DELIVERY',
  'PROMOTION',
  'OTP',
  'EVENT',
  'SURVEY',
  'PAYMENT',
  'WELCOME',
  'BACK_IN_STOCK',
  'REVIEW',
  'BIRTHDAY',
] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

export interface LibraryTemplate {
  /** Stable identifier, e.g. `fr-appointment-reminder`. */
  id: string;
  name: string;
  category: TemplateCategory;
  language: TemplateLanguage;
  type: MessageType;
  text: string;
}

export const TEMPLATE_LIBRARY: readonly LibraryTemplate[] = [
  // ---- French ----
  {
    id: 'fr-appointment-reminder',
    name: 'Rappel de rendez-vous',
    category: 'APPOINTMENT',
    language: 'FR',
    type: 'TRANSACTIONAL',
    text: 'Bonjour {firstname}, nous vous rappelons votre rendez-vous de demain. En cas d\'empêchement, merci de nous prévenir au plus tôt : {link}',
  },
  {
    id: 'fr-appointment-confirmation',
    name: 'Confirmation de rendez-vous',
    category: 'APPOINTMENT',
    language: 'FR',
    type: 'TRANSACTIONAL',
    text: 'Bonjour {firstname}, votre rendez-vous est confirmé. Retrouvez les détails et modifiez-le si besoin ici : {link}',
  },
  {
    id: 'fr-delivery-notice',
    name: 'Avis de livraison',
    category: 'DELIVERY',
    language: 'FR',
    type: 'TRANSACTIONAL',
    text: 'Bonjour {firstname}, votre commande est en cours de livraison et arrivera aujourd\'hui. Suivez-la en temps réel : {link}',
  },
  {
    id: 'fr-parcel-ready',
    name: 'Colis disponible en point relais',
    category: 'DELIVERY',
    language: 'FR',
    type: 'TRANSACTIONAL',
    text: 'Bonjour {firstname}, votre colis vous attend en point relais pendant 10 jours. Horaires et adresse : {link}',
  },
  {
    id: 'fr-promotion',
    name: 'Promotion',
    category: 'PROMOTION',
    language: 'FR',
    type: 'MARKETING',
    text: '{firstname|Bonjour}, -20 % sur toute la boutique jusqu\'à dimanche ! Profitez-en en magasin ou sur {link}',
  },
  {
    id: 'fr-private-sale',
    name: 'Vente privée',
    category: 'PROMOTION',
    language: 'FR',
    type: 'MARKETING',
    text: '{firstname|Bonjour}, vous êtes invité(e) à notre vente privée : jusqu\'à -50 % pendant 48 h, réservé à nos clients. Accès : {link}',
  },
  {
    id: 'fr-otp',
    name: 'Code de vérification',
    category: 'OTP',
    language: 'FR',
    type: 'TRANSACTIONAL',
    text: 'Votre code de vérification est {code}. Il expire dans 10 minutes. Ne le communiquez à personne.',
  },
  {
    id: 'fr-event-invitation',
    name: 'Invitation à un événement',
    category: 'EVENT',
    language: 'FR',
    type: 'MARKETING',
    text: 'Bonjour {firstname}, nous serions ravis de vous accueillir à notre soirée d\'inauguration. Programme et inscription : {link}',
  },
  {
    id: 'fr-survey',
    name: 'Enquête de satisfaction',
    category: 'SURVEY',
    language: 'FR',
    type: 'TRANSACTIONAL',
    text: 'Bonjour {firstname}, votre avis compte ! Répondez à notre questionnaire en 2 minutes : {link} Merci !',
  },
  {
    id: 'fr-payment-reminder',
    name: 'Rappel de paiement',
    category: 'PAYMENT',
    language: 'FR',
    type: 'TRANSACTIONAL',
    text: 'Bonjour {firstname} {lastname}, sauf erreur de notre part, votre facture reste impayée. Vous pouvez la régler en ligne : {link}',
  },
  {
    id: 'fr-welcome',
    name: 'Bienvenue',
    category: 'WELCOME',
    language: 'FR',
    type: 'TRANSACTIONAL',
    text: 'Bienvenue {firstname|} ! Merci de votre inscription. Découvrez tout ce qui vous attend : {link}',
  },
  {
    id: 'fr-back-in-stock',
    name: 'Retour en stock',
    category: 'BACK_IN_STOCK',
    language: 'FR',
    type: 'MARKETING',
    text: '{firstname|Bonne nouvelle}, l\'article que vous attendiez est de retour en stock ! Quantités limitées : {link}',
  },
  {
    id: 'fr-review-request',
    name: 'Demande d\'avis',
    category: 'REVIEW',
    language: 'FR',
    type: 'TRANSACTIONAL',
    text: 'Bonjour {firstname}, merci pour votre achat ! Pourriez-vous nous laisser un avis ? Cela ne prend qu\'une minute : {link}',
  },
  {
    id: 'fr-birthday',
    name: 'Anniversaire',
    category: 'BIRTHDAY',
    language: 'FR',
    type: 'MARKETING',
    text: 'Joyeux anniversaire {firstname} ! Pour l\'occasion, profitez de -15 % sur votre prochain achat : {link}',
  },
  // ---- English ----
  {
    id: 'en-appointment-reminder',
    name: 'Appointment reminder',
    category: 'APPOINTMENT',
    language: 'EN',
    type: 'TRANSACTIONAL',
    text: 'Hi {firstname}, this is a reminder of your appointment tomorrow. If you cannot make it, please let us know: {link}',
  },
  {
    id: 'en-appointment-confirmation',
    name: 'Appointment confirmation',
    category: 'APPOINTMENT',
    language: 'EN',
    type: 'TRANSACTIONAL',
    text: 'Hi {firstname}, your appointment is confirmed. See the details or reschedule here: {link}',
  },
  {
    id: 'en-delivery-notice',
    name: 'Delivery notice',
    category: 'DELIVERY',
    language: 'EN',
    type: 'TRANSACTIONAL',
    text: 'Hi {firstname}, your order is out for delivery and will arrive today. Track it live: {link}',
  },
  {
    id: 'en-promotion',
    name: 'Promotion',
    category: 'PROMOTION',
    language: 'EN',
    type: 'MARKETING',
    text: '{firstname|Hello}, 20% off everything until Sunday! Shop in store or at {link}',
  },
  {
    id: 'en-otp',
    name: 'Verification code',
    category: 'OTP',
    language: 'EN',
    type: 'TRANSACTIONAL',
    text: 'Your verification code is {code}. It expires in 10 minutes. Never share it with anyone.',
  },
  {
    id: 'en-event-invitation',
    name: 'Event invitation',
    category: 'EVENT',
    language: 'EN',
    type: 'MARKETING',
    text: 'Hi {firstname}, we would love to see you at our opening night. Programme and registration: {link}',
  },
  {
    id: 'en-survey',
    name: 'Satisfaction survey',
    category: 'SURVEY',
    language: 'EN',
    type: 'TRANSACTIONAL',
    text: 'Hi {firstname}, your opinion matters! Take our 2-minute survey: {link} Thank you!',
  },
  {
    id: 'en-payment-reminder',
    name: 'Payment reminder',
    category: 'PAYMENT',
    language: 'EN',
    type: 'TRANSACTIONAL',
    text: 'Hi {firstname} {lastname}, our records show an unpaid invoice on your account. You can pay it online: {link}',
  },
  {
    id: 'en-welcome',
    name: 'Welcome',
    category: 'WELCOME',
    language: 'EN',
    type: 'TRANSACTIONAL',
    text: 'Welcome {firstname|aboard}! Thanks for signing up. Discover everything waiting for you: {link}',
  },
  {
    id: 'en-back-in-stock',
    name: 'Back in stock',
    category: 'BACK_IN_STOCK',
    language: 'EN',
    type: 'MARKETING',
    text: '{firstname|Good news}, the item you were waiting for is back in stock! Limited quantities: {link}',
  },
  {
    id: 'en-review-request',
    name: 'Review request',
    category: 'REVIEW',
    language: 'EN',
    type: 'TRANSACTIONAL',
    text: 'Hi {firstname}, thank you for your purchase! Could you leave us a review? It only takes a minute: {link}',
  },
  {
    id: 'en-birthday',
    name: 'Birthday',
    category: 'BIRTHDAY',
    language: 'EN',
    type: 'MARKETING',
    text: 'Happy birthday {firstname}! To celebrate, enjoy 15% off your next purchase: {link}',
  },
];

export interface LibraryFilter {
  language?: TemplateLanguage | null;
  category?: TemplateCategory | null;
}

export function findLibraryTemplates(filter: LibraryFilter = {}): LibraryTemplate[] {
  return TEMPLATE_LIBRARY.filter(
    (template) => (!filter.language || template.language === filter.language) && (!filter.category || template.category === filter.category),
  );
}

export function libraryTemplate(id: string): LibraryTemplate | undefined {
  return TEMPLATE_LIBRARY.find((template) => template.id === id);
}
