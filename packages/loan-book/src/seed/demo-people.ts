/**
 * Names and places for demo books: common Indian given names and surnames, and a few regions
 * with their PIN-code prefixes (the first three digits name the sorting district), localities
 * and how many borrowers there prefer Hindi.
 */

export const GIVEN_NAMES: readonly string[] = [
  'Aarav', 'Aditi', 'Aditya', 'Akash', 'Amit', 'Ananya', 'Anil', 'Anita', 'Anjali', 'Arjun',
  'Arun', 'Asha', 'Deepa', 'Deepak', 'Divya', 'Farhan', 'Gaurav', 'Geeta', 'Harpreet', 'Imran',
  'Ishaan', 'Jaspreet', 'Kavita', 'Kiran', 'Krishna', 'Lakshmi', 'Mahesh', 'Manoj', 'Meena', 'Mohan',
  'Nandini', 'Neha', 'Nikhil', 'Pooja', 'Prakash', 'Priya', 'Rahul', 'Rajesh', 'Ramesh', 'Ravi',
  'Rekha', 'Rohit', 'Sakshi', 'Sandeep', 'Sanjay', 'Sarita', 'Shabana', 'Shreya', 'Sneha', 'Sunil',
  'Sunita', 'Suresh', 'Swati', 'Tanvi', 'Uma', 'Varun', 'Vijay', 'Vikram', 'Yash', 'Zoya',
];

export const SURNAMES: readonly string[] = [
  'Agarwal', 'Ahmed', 'Banerjee', 'Bhat', 'Chatterjee', 'Chauhan', 'Das', 'Desai', 'Dubey', 'Ghosh',
  'Gill', 'Gupta', 'Iyer', 'Jain', 'Joshi', 'Kapoor', 'Khan', 'Kulkarni', 'Kumar', 'Menon',
  'Mishra', 'Mukherjee', 'Nair', 'Pandey', 'Patel', 'Pillai', 'Rao', 'Reddy', 'Saxena', 'Shah',
  'Sharma', 'Shetty', 'Singh', 'Sinha', 'Srivastava', 'Tiwari', 'Trivedi', 'Verma', 'Yadav', 'Naidu',
];

export interface Region {
  city: string;
  state: string;
  /** The first three digits of the region's PIN codes. */
  pinPrefix: string;
  localities: readonly string[];
  /** Share of borrowers who want messages in Hindi. */
  hindiShare: number;
  /** How many borrowers come from here, relative to the other regions. */
  weight: number;
}

export const REGIONS: readonly Region[] = [
  {
    city: 'Mumbai',
    state: 'Maharashtra',
    pinPrefix: '400',
    localities: ['Andheri East', 'Dadar West', 'Borivali', 'Kurla', 'Ghatkopar'],
    hindiShare: 0.3,
    weight: 16,
  },
  {
    city: 'Pune',
    state: 'Maharashtra',
    pinPrefix: '411',
    localities: ['Kothrud', 'Hadapsar', 'Wakad', 'Shivajinagar'],
    hindiShare: 0.2,
    weight: 8,
  },
  {
    city: 'New Delhi',
    state: 'Delhi',
    pinPrefix: '110',
    localities: ['Lajpat Nagar', 'Rohini Sector 7', 'Dwarka Sector 12', 'Karol Bagh', 'Mayur Vihar'],
    hindiShare: 0.65,
    weight: 16,
  },
  {
    city: 'Lucknow',
    state: 'Uttar Pradesh',
    pinPrefix: '226',
    localities: ['Gomti Nagar', 'Aliganj', 'Indira Nagar', 'Hazratganj'],
    hindiShare: 0.8,
    weight: 8,
  },
  {
    city: 'Jaipur',
    state: 'Rajasthan',
    pinPrefix: '302',
    localities: ['Malviya Nagar', 'Vaishali Nagar', 'Mansarovar', 'C-Scheme'],
    hindiShare: 0.75,
    weight: 7,
  },
  {
    city: 'Patna',
    state: 'Bihar',
    pinPrefix: '800',
    localities: ['Boring Road', 'Kankarbagh', 'Rajendra Nagar'],
    hindiShare: 0.85,
    weight: 5,
  },
  {
    city: 'Bengaluru',
    state: 'Karnataka',
    pinPrefix: '560',
    localities: ['Koramangala', 'Jayanagar', 'Whitefield', 'Malleshwaram', 'HSR Layout'],
    hindiShare: 0.1,
    weight: 14,
  },
  {
    city: 'Chennai',
    state: 'Tamil Nadu',
    pinPrefix: '600',
    localities: ['T Nagar', 'Adyar', 'Velachery', 'Anna Nagar'],
    hindiShare: 0.05,
    weight: 10,
  },
  {
    city: 'Hyderabad',
    state: 'Telangana',
    pinPrefix: '500',
    localities: ['Banjara Hills', 'Kukatpally', 'Madhapur', 'Secunderabad'],
    hindiShare: 0.25,
    weight: 9,
  },
  {
    city: 'Kolkata',
    state: 'West Bengal',
    pinPrefix: '700',
    localities: ['Salt Lake', 'Behala', 'Gariahat', 'Dum Dum'],
    hindiShare: 0.2,
    weight: 7,
  },
];

export const STREET_KINDS: readonly string[] = ['Main Road', 'Cross Road', 'Lane', 'Nagar', 'Colony', 'Society'];
